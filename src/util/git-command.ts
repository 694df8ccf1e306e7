import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';

/** git ended with an error message (a refused repository, a bad revision...): its words, for the user. */
export class GitCommandError extends Error {
  override name = 'GitCommandError';

  constructor(
    readonly args: string[],
    readonly stderr: string,
  ) {
    super(stderr.trim() || `git ${args.join(' ')} failed`);
  }
}

/** The folder git was asked to run in does not exist or is not a folder. */
export class GitFolderError extends Error {
  override name = 'GitFolderError';
}

/**
 * Runs `git <args>` in `cwd` and returns what it printed. A failure with a message throws it (GitCommandError); a
 * silent failure (`rev-parse --verify --quiet` of an unknown name, `merge-base` of unrelated commits) returns the
 * empty output, which is how those commands answer "none". One process, nothing loaded besides: a run asks git a few
 * times, and a no-op run is measured in tenths of a second.
 */
export async function runGit(cwd: string, args: string[]): Promise<string> {
  const folder = await stat(cwd).catch(() => undefined);
  if (!folder?.isDirectory()) throw new GitFolderError(`${cwd} does not exist or is not a folder`);
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      // git itself missing (ENOENT): as good as a folder git refuses; the caller says so and goes on without it.
      if (typeof error.code !== 'number')
        return reject(new GitCommandError(args, `git could not run: ${error.message}`));
      if (stderr.trim()) return reject(new GitCommandError(args, stderr));
      resolve(stdout);
    });
  });
}

/** Whether `cwd` is inside a git working tree; a folder git refuses (dubious ownership) throws its message. */
export async function isInsideWorkTree(cwd: string): Promise<boolean> {
  try {
    return (await runGit(cwd, ['rev-parse', '--is-inside-work-tree'])).trim() === 'true';
  } catch (error) {
    if (error instanceof GitCommandError && /not a git repository/i.test(error.stderr)) return false;
    throw error;
  }
}
