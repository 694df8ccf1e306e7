import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseFromCi } from '../../../src/detect/ci-base.js';
import { createTempDir, removeTempDirs } from './git-fixture.js';

const before = '1111111111111111111111111111111111111111';
const targetTip = '2222222222222222222222222222222222222222';

async function writeEvent(event: unknown): Promise<string> {
  const path = join(await createTempDir(), 'event.json');
  await writeFile(path, JSON.stringify(event));
  return path;
}

describe('baseFromCi', () => {
  afterAll(removeTempDirs);

  it('takes the commit before a Drone push', () => {
    const env = { DRONE: 'true', DRONE_BUILD_EVENT: 'push', DRONE_COMMIT_BEFORE: before };
    expect(baseFromCi(env)).toEqual({ kind: 'commit', base: before, source: 'drone-push' });
  });

  it('gives the target branch of a Drone pull request, for the caller to merge-base against', () => {
    const env = {
      DRONE: 'true',
      DRONE_BUILD_EVENT: 'pull_request',
      DRONE_TARGET_BRANCH: 'main',
      DRONE_COMMIT_BEFORE: before,
    };
    expect(baseFromCi(env)).toEqual({
      kind: 'branch',
      base: undefined,
      branch: 'main',
      ref: 'origin/main',
      source: 'drone-pr:main',
    });
  });

  it('passes the all-zero SHA of a new Drone branch on, and says when Drone told nothing', () => {
    const zero = '0'.repeat(40);
    expect(baseFromCi({ DRONE: 'true', DRONE_COMMIT_BEFORE: zero }).base).toBe(zero);
    expect(baseFromCi({ DRONE: 'true', DRONE_BUILD_EVENT: 'cron' })).toEqual({
      kind: 'none',
      base: undefined,
      source: 'drone:no-before',
    });
  });

  it('reads `before` from a GitHub push event file', async () => {
    const env = {
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: await writeEvent({ before, after: targetTip }),
    };
    expect(baseFromCi(env)).toEqual({ kind: 'commit', base: before, source: 'github-push' });
  });

  it('reads the base SHA from a GitHub pull_request event file', async () => {
    const event = { number: 7, pull_request: { base: { ref: 'main', sha: targetTip }, head: { sha: before } } };
    const env = {
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: await writeEvent(event),
    };
    expect(baseFromCi(env)).toEqual({ kind: 'commit', base: targetTip, source: 'github-pull_request' });
  });

  it('uses the reader it is given, and falls back to nothing for other events or unreadable files', () => {
    const env = { GITHUB_ACTIONS: 'true', GITHUB_EVENT_NAME: 'merge_group', GITHUB_EVENT_PATH: '/event.json' };
    expect(baseFromCi(env, () => JSON.stringify({ merge_group: { base_sha: targetTip } })).base).toBe(targetTip);
    expect(baseFromCi({ ...env, GITHUB_EVENT_NAME: 'workflow_dispatch' }, () => '{}').kind).toBe('none');
    expect(baseFromCi(env, () => 'not json')).toEqual({
      kind: 'none',
      base: undefined,
      source: 'github-merge_group:unreadable-event-file',
    });
    expect(baseFromCi({ ...env, GITHUB_EVENT_PATH: '/no/such/file.json' }).source).toBe(
      'github-merge_group:unreadable-event-file',
    );
  });

  it('says nothing outside a known CI, and prefers Drone when both are present', () => {
    expect(baseFromCi({ CI: 'true', HOME: '/root' })).toEqual({ kind: 'none', base: undefined, source: 'none' });
    expect(baseFromCi({ GITHUB_ACTIONS: 'true', DRONE: 'true', DRONE_COMMIT_BEFORE: before }).source).toBe(
      'drone-push',
    );
  });
});
