/**
 * A problem found in the user's input: every check that can fail for a reason the user controls reports one.
 * Validation collects them all instead of stopping at the first.
 */
export interface Problem {
  /** Stable, documented code, e.g. `DEF_REQUIRED_FIELD`. */
  code: string;
  /** Path of the file, relative to the repository root where there is one. */
  file?: string;
  /** JSON pointer into the file (RFC 6901), e.g. `/configurationItems/0/type`. */
  pointer?: string;
  line?: number;
  column?: number;
  message: string;
  hint?: string;
}

export type Severity = 'error' | 'warning';

export function formatProblem(problem: Problem): string {
  const where = [problem.file, problem.line === undefined ? undefined : `${problem.line}:${problem.column ?? 1}`]
    .filter((part) => part !== undefined)
    .join(':');
  const pointer = problem.pointer ? ` (${problem.pointer})` : '';
  const hint = problem.hint ? `\n    hint: ${problem.hint}` : '';
  return `${where ? `${where}${pointer}: ` : ''}${problem.code}: ${problem.message}${hint}`;
}
