import { readFileSync } from 'node:fs';

/**
 * What the CI says the build should be compared with:
 * - `commit`: diff `base..head` directly (a push: the commit the branch pointed at before);
 * - `branch`: a pull request whose target is only known by name: the caller fetches it and diffs from
 *   `mergeBase(repo, ref, head)`, `ref` being the remote-tracking ref (`origin/<branch>`);
 * - `none`: nothing usable was told; the caller treats every worker as changed.
 * `base` is set only for `commit`, so `{ base, source }` reads the same whatever the kind.
 */
export type CiBase =
  | { kind: 'commit'; base: string; source: string }
  | { kind: 'branch'; base: undefined; branch: string; ref: string; source: string }
  | { kind: 'none'; base: undefined; source: string };

/** Reads the GitHub event file; tests pass their own. */
export type ReadEventFile = (path: string) => string;

const readUtf8: ReadEventFile = (path) => readFileSync(path, 'utf8');

/**
 * Precedence: Drone (`DRONE=true`), then GitHub Actions (`GITHUB_ACTIONS=true`), then nothing. A runner sets only
 * its own variables; should both be present (`drone exec` inside a GitHub job), Drone is the innermost, so it wins.
 * An all-zero SHA (new branch, force-push) is passed on as is: `listGitChanges` reports it as `zero-base`.
 */
export function baseFromCi(env: NodeJS.ProcessEnv, readEventFile: ReadEventFile = readUtf8): CiBase {
  if (env['DRONE'] === 'true') return baseFromDrone(env);
  if (env['GITHUB_ACTIONS'] === 'true') return baseFromGitHub(env, readEventFile);
  return { kind: 'none', base: undefined, source: 'none' };
}

function baseFromDrone(env: NodeJS.ProcessEnv): CiBase {
  const target = env['DRONE_TARGET_BRANCH'];
  if (env['DRONE_BUILD_EVENT'] === 'pull_request' && target) {
    return { kind: 'branch', base: undefined, branch: target, ref: `origin/${target}`, source: `drone-pr:${target}` };
  }
  const before = env['DRONE_COMMIT_BEFORE'];
  return before
    ? { kind: 'commit', base: before, source: 'drone-push' }
    : { kind: 'none', base: undefined, source: 'drone:no-before' };
}

function baseFromGitHub(env: NodeJS.ProcessEnv, readEventFile: ReadEventFile): CiBase {
  const eventName = env['GITHUB_EVENT_NAME'] ?? '';
  const eventPath = env['GITHUB_EVENT_PATH'];
  if (!eventPath) return { kind: 'none', base: undefined, source: `github-${eventName}:no-event-file` };
  let event: unknown;
  try {
    event = JSON.parse(readEventFile(eventPath));
  } catch {
    // Comparing with nothing builds everything: slower, never wrong.
    return { kind: 'none', base: undefined, source: `github-${eventName}:unreadable-event-file` };
  }
  const base = pickEventBase(eventName, event);
  return base
    ? { kind: 'commit', base, source: `github-${eventName}` }
    : { kind: 'none', base: undefined, source: `github-${eventName}:no-base` };
}

/**
 * For a pull request, actions/checkout checks out the merge commit, whose first parent is the target's tip:
 * `pull_request.base.sha` is that tip, so `base..head` is exactly what the pull request changes.
 */
function pickEventBase(eventName: string, event: unknown): string | undefined {
  switch (eventName) {
    case 'push':
      return readString(event, ['before']);
    case 'pull_request':
    case 'pull_request_target':
      return readString(event, ['pull_request', 'base', 'sha']);
    case 'merge_group':
      return readString(event, ['merge_group', 'base_sha']);
    default:
      return undefined;
  }
}

function readString(value: unknown, path: string[]): string | undefined {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === 'string' && current !== '' ? current : undefined;
}
