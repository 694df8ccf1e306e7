import { GitCommandError, GitFolderError, isInsideWorkTree, runGit } from '../util/git-command.js';
import { UsageError } from '../errors/neurons-error.js';
import { parseNameStatus } from './parse-name-status.js';
import type { GitChanges } from './types.js';

export type { ChangedFile, GitChanges, UnusableReason } from './types.js';

/** What CI systems send as the "before" commit of a new branch or of some force-pushes (SHA-1 or SHA-256 repositories). */
const zeroSha = /^(?:0{40}|0{64})$/;

/**
 * Lists the files that differ between `base` and `head` in the repository folder `repo`, paths relative to that folder.
 * When no list can be made (no base, a base the repository does not have, ...) it says why instead of throwing:
 * the caller then treats every worker as changed. It throws for an unknown `head` (a usage error) and for bugs.
 */
export async function listGitChanges(repo: string, base: string | undefined, head: string): Promise<GitChanges> {
  const quick = await askAtOnce(repo, base, head);
  if (quick) return quick;
  const opened = await openRepository(repo);
  if (!opened.ok) return { usable: false, reason: 'not-a-repository', detail: opened.detail };
  const headSha = await resolveCommit(repo, head);
  if (headSha === undefined) {
    throw new UsageError({
      code: 'GIT_HEAD_UNKNOWN',
      message: `\`${head}\` is not a commit of the repository ${repo}`,
      hint: 'Give a commit, branch or tag that exists in the checkout (in CI, the commit being built).',
    });
  }
  if (base === undefined) {
    return (await isRootCommit(repo, headSha))
      ? {
          usable: false,
          reason: 'first-commit',
          detail: `${head} (${headSha}) is the first commit: there is nothing before it to compare with`,
        }
      : { usable: false, reason: 'no-base', detail: 'no base commit was given to compare with' };
  }
  if (zeroSha.test(base)) {
    return {
      usable: false,
      reason: 'zero-base',
      detail: 'the base is the all-zero SHA, which CI systems send for a new branch or after a force-push',
    };
  }
  const baseSha = await resolveCommit(repo, base);
  if (baseSha === undefined) {
    return (await isShallow(repo))
      ? {
          usable: false,
          reason: 'shallow-without-base',
          detail: `the base ${base} is not in this shallow clone; fetch more history (git fetch --deepen or --unshallow)`,
        }
      : {
          usable: false,
          reason: 'unknown-base',
          detail: `the base ${base} is not a commit of the repository (a force-push may have rewritten history)`,
        };
  }
  return diffOf(repo, baseSha, headSha);
}

/** The files that differ between two commits, paths relative to `repo`. */
async function diffOf(repo: string, baseSha: string, headSha: string): Promise<GitChanges> {
  // --relative: paths relative to `repo` even when it is a subfolder of the checkout (changes outside it are left out).
  const output = await runGit(repo, [
    'diff',
    '--name-status',
    '-z',
    '-M',
    '--no-color',
    '--relative',
    baseSha,
    headSha,
  ]);
  return { usable: true, base: baseSha, head: headSha, files: parseNameStatus(output) };
}

/**
 * The usual answers in one git process instead of three or four (each costs a spawn on every run): inside a work
 * tree, `head` and `base` known commits (then their diff), or no base and `head` not the first commit. Undefined for
 * anything else (no repository, an unknown commit, a shallow clone's depth limit, a zero base): the careful path
 * below then says exactly why, as before.
 */
async function askAtOnce(repo: string, base: string | undefined, head: string): Promise<GitChanges | undefined> {
  const refs = base === undefined ? [head] : [head, base];
  if (refs.some((ref) => ref === '' || ref.startsWith('-')) || (base !== undefined && zeroSha.test(base)))
    return undefined;
  // Without a base: HEAD^@ lists the parents (none for a root commit, and none seen at a shallow clone's depth limit,
  // which the careful path tells apart by reading the commit object).
  const asked =
    base === undefined
      ? ['rev-parse', '--is-inside-work-tree', '--is-shallow-repository', `${head}^{commit}`, `${head}^@`, '--']
      : ['rev-parse', '--is-inside-work-tree', `${head}^{commit}`, `${base}^{commit}`, '--'];
  let lines: string[];
  try {
    lines = (await runGit(repo, asked)).split('\n').map((line) => line.trim());
  } catch {
    return undefined;
  }
  const end = lines.indexOf('--');
  const answers = end === -1 ? [] : lines.slice(0, end);
  const commit = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
  if (answers[0] !== 'true') return undefined;
  if (base === undefined) {
    const [, shallow, headSha = '', ...parents] = answers;
    if (shallow !== 'false' || !commit.test(headSha) || parents.length === 0) return undefined;
    return { usable: false, reason: 'no-base', detail: 'no base commit was given to compare with' };
  }
  const [, headSha = '', baseSha = ''] = answers;
  if (answers.length !== 3 || !commit.test(headSha) || !commit.test(baseSha)) return undefined;
  return diffOf(repo, baseSha, headSha);
}

/**
 * The best common ancestor of `a` and `b`, or undefined when either is not a commit of the repository
 * (e.g. beyond a shallow clone's depth) or they share no history. Throws when `repo` is not a repository.
 */
export async function mergeBase(repo: string, a: string, b: string): Promise<string | undefined> {
  const [first, second] = await Promise.all([resolveCommit(repo, a), resolveCommit(repo, b)]);
  if (first === undefined || second === undefined) return undefined;
  // Exit 1 without a message when there is no common ancestor: runGit then returns the empty output.
  const sha = (await runGit(repo, ['merge-base', first, second])).trim();
  return sha === '' ? undefined : sha;
}

async function openRepository(repo: string): Promise<{ ok: true } | { ok: false; detail: string }> {
  try {
    if (await isInsideWorkTree(repo)) return { ok: true };
    return { ok: false, detail: `${repo} is not inside a git working tree` };
  } catch (error) {
    if (error instanceof GitFolderError) return { ok: false, detail: `${repo} does not exist or is not a folder` };
    // e.g. "detected dubious ownership": git refuses the folder, which is as good as no repository.
    if (error instanceof GitCommandError) return { ok: false, detail: `git refused ${repo}: ${error.message.trim()}` };
    throw error;
  }
}

/** The full SHA of the commit `ref` names, or undefined when the repository has no such commit. */
async function resolveCommit(repo: string, ref: string): Promise<string | undefined> {
  // A ref starting with `-` would be read as an option; no commit is named like that.
  if (ref === '' || ref.startsWith('-')) return undefined;
  // --quiet: exit 1 without a message for an unknown ref, which runGit returns as the empty output.
  const sha = (await runGit(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim();
  return sha === '' ? undefined : sha;
}

/**
 * Reads the commit object itself: in a shallow clone the commit at the depth limit looks parentless to
 * `rev-list`, but its object still names its parents.
 */
async function isRootCommit(repo: string, sha: string): Promise<boolean> {
  const object = await runGit(repo, ['cat-file', 'commit', sha]);
  const header = object.slice(0, object.indexOf('\n\n'));
  return !/^parent /m.test(header);
}

async function isShallow(repo: string): Promise<boolean> {
  return (await runGit(repo, ['rev-parse', '--is-shallow-repository'])).trim() === 'true';
}
