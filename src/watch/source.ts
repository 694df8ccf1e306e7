import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError } from '../errors/neurons-error.js';
import { runGit } from '../util/git-command.js';

/** The repository the watcher follows: a local checkout used in place, or a clone it keeps up to date. */
export interface WatchedSource {
  directory: string;
  /** Brings the checkout to the newest commit of the branch; returns that commit. */
  refresh(): Promise<string>;
}

export function watchedSource(repo: string, branch: string | undefined, stateDirectory: string): WatchedSource {
  const local = !/^[a-z+]+:\/\//.test(repo) && !/^[^/]+@[^:]+:/.test(repo) && existsSync(repo);
  if (local && branch === undefined) {
    // A folder of one's own: whatever is checked out is what gets published.
    const directory = path.resolve(repo);
    return { directory, refresh: async () => (await runGit(directory, ['rev-parse', 'HEAD'])).trim() };
  }
  const directory = path.join(stateDirectory, 'checkout');
  const remote = local ? path.resolve(repo) : repo;
  const name = branch ?? 'main';
  return {
    directory,
    async refresh() {
      try {
        if (!existsSync(path.join(directory, '.git'))) {
          const target = path.resolve(directory);
          await mkdir(path.dirname(target), { recursive: true });
          await runGit(path.dirname(target), ['clone', '--branch', name, '--', remote, target]);
        }
        await runGit(directory, ['fetch', 'origin', name]);
        await runGit(directory, ['checkout', '-f', '--detach', `origin/${name}`]);
        return (await runGit(directory, ['rev-parse', 'HEAD'])).trim();
      } catch (error) {
        throw new EnvironmentError(
          {
            code: 'WATCH_GIT',
            message: `cannot follow ${name} of ${repo}: ${(error as Error).message}`,
            hint: 'check the repository address, the branch and the credentials git uses',
          },
          error,
        );
      }
    },
  };
}
