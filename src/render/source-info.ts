import { runGit } from '../util/git-command.js';

/** Where a worker folder's code comes from: the last commit that touched it, and the repository's address. */
export interface SourceInfo {
  revision: string | undefined;
  /** ISO 8601, from the commit time (or SOURCE_DATE_EPOCH): the same inputs render the same bytes. */
  created: string | undefined;
  url: string | undefined;
}

/** Per-folder revisions, read in one pass over the history rather than one `git log` per folder. */
export interface RepositorySource {
  folder(path: string): SourceInfo;
}

function isoFromEpoch(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** A remote URL without credentials (`https://user:token@host/...` must never reach a label). */
export function publicUrl(remote: string): string | undefined {
  if (!remote) return undefined;
  try {
    const url = new URL(remote);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\.git$/, '');
  } catch {
    // scp-like syntax: git@host:org/repo.git
    const match = /^[^@\s]+@([^:\s]+):(.+?)(?:\.git)?$/.exec(remote);
    return match ? `https://${match[1]}/${match[2]}` : undefined;
  }
}

/** What git says of the repository's history: its public address, and per commit (newest first) the files it changed. */
export interface GitHistory {
  url: string | undefined;
  /** The repository folder's path inside the checkout (`sub/` or empty): the log's file names start with it. */
  prefix: string;
  /** `git log --format=%x00%H %ct --name-only` of the folder. */
  log: string;
}

/**
 * Reads the repository's history (undefined outside a git repository, or when git refuses it). It needs no folder
 * list: a run starts it before its discovery, and the git processes run meanwhile.
 */
export async function readGitHistory(repo: string): Promise<GitHistory | undefined> {
  try {
    // One git process for three answers, and the remote asked beside the log: each spawn costs on a no-op run.
    const remote = runGit(repo, ['config', '--get', 'remote.origin.url']).catch(() => '');
    const [inside, top = '', prefix = ''] = (
      await runGit(repo, ['rev-parse', '--is-inside-work-tree', '--show-toplevel', '--show-prefix'])
    )
      .split('\n')
      .map((line) => line.trim());
    if (inside !== 'true') return undefined;
    const log = await runGit(top, [
      'log',
      '--format=%x00%H %ct',
      '--name-only',
      '--no-renames',
      'HEAD',
      '--',
      ...(prefix ? [prefix] : []),
    ]);
    return { url: publicUrl((await remote).trim()), prefix, log };
  } catch {
    return undefined;
  }
}

/**
 * Reads, for every folder in `folders`, the last commit that changed it (from `history` when the run read it
 * already). Outside a git repository, revisions are unknown and `created` comes from SOURCE_DATE_EPOCH when set.
 */
export async function readRepositorySource(
  repo: string,
  folders: string[],
  env: NodeJS.ProcessEnv,
  history: Promise<GitHistory | undefined> = readGitHistory(repo),
): Promise<RepositorySource> {
  const epoch =
    env['SOURCE_DATE_EPOCH'] && /^\d+$/.test(env['SOURCE_DATE_EPOCH']) ? Number(env['SOURCE_DATE_EPOCH']) : undefined;
  const fallback: SourceInfo = {
    revision: undefined,
    created: epoch === undefined ? undefined : isoFromEpoch(epoch),
    url: undefined,
  };
  const read = await history;
  if (!read) return { folder: () => fallback };
  const { url, prefix, log } = read;
  const found = new Map<string, { revision: string; time: number }>();
  const pending = new Set(folders.map((folder) => `${prefix}${folder}/`));
  for (const block of log.split('\0')) {
    if (pending.size === 0) break;
    const [header = '', ...files] = block.split('\n');
    const [revision = '', time = '0'] = header.split(' ');
    for (const file of files) {
      for (const folder of pending) {
        if (file.startsWith(folder)) {
          found.set(folder.slice(prefix.length, -1), { revision, time: Number(time) });
          pending.delete(folder);
        }
      }
    }
  }
  return {
    folder(path: string): SourceInfo {
      const commit = found.get(path);
      if (!commit) return { ...fallback, url };
      return { revision: commit.revision, created: isoFromEpoch(epoch ?? commit.time), url };
    },
  };
}
