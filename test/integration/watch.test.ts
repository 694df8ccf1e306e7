import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WatchState } from '../../src/watch/state.js';
import { copyFixture, root, runCli, uniqueNamespace } from '../helpers/environment.js';

function git(repo: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', ...args], { cwd: repo, encoding: 'utf8' }).trim();
}

describe('the watcher on a real git repository', () => {
  let repo: string;
  let state: string;
  let env: NodeJS.ProcessEnv;
  const args = (): string[] => ['watch', '--repo', repo, '--branch', 'main', '--once', '--state', state, '--output', path.join(state, 'catalogs'), '--skip-tests'];
  const watchState = async (): Promise<WatchState> => JSON.parse(await readFile(path.join(state, 'watch.json'), 'utf8')) as WatchState;
  const commit = (message: string): string => {
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', message);
    return git(repo, 'rev-parse', 'HEAD');
  };

  beforeAll(async () => {
    repo = await copyFixture();
    state = await mkdtemp(path.join(tmpdir(), 'neurons-watch-'));
    // The devel channel: a changed worker is republished under the same tag.
    env = { NEURONS_NAMESPACE: uniqueNamespace('watch'), NEURONS_CHANNEL: 'devel' };
    git(repo, 'init', '-q', '-b', 'main');
    commit('workers');
  });

  it('publishes everything once, then exactly the worker a commit changed, then nothing for a change outside', async () => {
    const first = await runCli(args(), env);
    expect(first.status, first.stderr).toBe(0);
    expect((await watchState()).lastRun?.pushed).toHaveLength(10);
    await writeFile(path.join(repo, 'analyzers/UrlInspect/index.js'), '\n// changed\n', { flag: 'a' });
    const changed = commit('change UrlInspect');
    expect((await runCli(args(), env)).status).toBe(0);
    expect(await watchState()).toMatchObject({ lastPublished: changed, lastRun: { pushed: ['UrlInspect_1_0'] } });
    await writeFile(path.join(repo, 'NOTES.md'), 'outside every worker\n');
    const outside = commit('notes');
    expect((await runCli(args(), env)).status).toBe(0);
    expect(await watchState()).toMatchObject({ lastPublished: outside, lastRun: { pushed: [] } });
    const idle = await runCli(args(), env);
    expect(idle.stderr).toContain('"event":"up-to-date"');
  });

  it('resumes after a kill in mid-run without rebuilding what was published', async () => {
    const before = (await watchState()).lastPublished;
    await writeFile(path.join(repo, 'analyzers/FileTriage/filetriage.py'), '\n# changed\n', { flag: 'a' });
    await writeFile(path.join(repo, 'analyzers/GoDomainCheck/main.go'), '\n// changed\n', { flag: 'a' });
    const head = commit('two workers');
    // Killed as soon as the first flavor is published.
    const child = spawn(path.join(root, 'bin', 'neurons'), args(), { env: { ...process.env, ...env } });
    let log = '';
    const firstPushed = await new Promise<string | undefined>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        const match = /"state":"done","detail":"[^"]*","flavor":"([^"]+)"|"flavor":"([^"]+)","state":"done"/.exec(log);
        if (match) {
          child.kill('SIGKILL');
          resolve(match[1] ?? match[2]);
        }
      });
      child.on('close', () => resolve(undefined));
    });
    expect((await watchState()).lastPublished).toBe(before);
    const resumed = await runCli(args(), env);
    expect(resumed.status, resumed.stderr).toBe(0);
    const after = await watchState();
    expect(after.lastPublished).toBe(head);
    const pushedAgain = after.lastRun?.pushed ?? [];
    if (firstPushed) expect(pushedAgain).not.toContain(firstPushed);
    expect([...pushedAgain, ...(firstPushed ? [firstPushed] : [])].sort()).toEqual(['FileTriage_1_0', 'GoDomainCheck_1_2_0']);
  });
});
