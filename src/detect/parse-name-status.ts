import type { ChangedFile } from './types.js';

const simpleStatuses: Record<string, ChangedFile['status']> = {
  A: 'added',
  M: 'modified',
  D: 'deleted',
  T: 'type-changed',
};

/**
 * Parses `git diff --name-status -z`: fields separated by NUL, so paths come verbatim (spaces, tabs, newlines,
 * unicode; no quoting). A record is `<status>\0<path>\0`, or for renames and copies `R<score>\0<old>\0<new>\0`.
 * A copy leaves its source untouched: it is reported as the new path added.
 */
export function parseNameStatus(output: string): ChangedFile[] {
  const fields = output.split('\0');
  // The output ends with a NUL, which leaves one empty field after the last record.
  if (fields[fields.length - 1] === '') fields.pop();
  const files: ChangedFile[] = [];
  let index = 0;
  const take = (status: string): string => {
    const field = fields[index++];
    if (field === undefined || field === '')
      throw new Error(`git diff --name-status -z: a path is missing after status ${status}`);
    return field;
  };
  while (index < fields.length) {
    const status = fields[index++] ?? '';
    const letter = status.charAt(0);
    const simple = simpleStatuses[letter];
    if (simple !== undefined) {
      files.push({ status: simple, path: take(status) });
    } else if (letter === 'R') {
      const previousPath = take(status);
      files.push({ status: 'renamed', path: take(status), previousPath });
    } else if (letter === 'C') {
      take(status);
      files.push({ status: 'added', path: take(status) });
    } else {
      // U (unmerged) and X (unknown) cannot appear between two commits; anything else is a format we do not know.
      throw new Error(`git diff --name-status -z: unexpected status ${JSON.stringify(status)}`);
    }
  }
  return files;
}
