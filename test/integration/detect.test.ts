import Docker from 'dockerode';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../src/engine/docker-build.js';
import { createTar } from '../../src/oci/tar.js';
import { pushImage } from '../../src/push/push-image.js';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import { copyFixture, environmentState, runCli, uniqueNamespace } from '../helpers/environment.js';

interface Detected {
  rebuild: Array<{ directory: string; flavors: string[]; reasons: string[] }>;
  unchanged: number;
  mode: string;
  source: { kind: string; note?: string };
  digestChecks: number;
}

function git(repo: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', ...args], {
    cwd: repo,
    encoding: 'utf8',
  }).trim();
}

describe('detect on a real git history against the real registry', () => {
  const docker = new Docker();
  let state: EnvironmentState;
  let repo: string;
  let env: NodeJS.ProcessEnv;
  const only = ['--only', 'HashCalc', '--only', 'FileTriage', '--only', 'GoDomainCheck', '--only', 'UrlInspect'];
  let movingBase: string;

  /** A python base of our own under a tag we move, as a mirror would when the upstream image is refreshed. */
  async function publishBase(marker: string): Promise<void> {
    const dockerfile = `FROM ${state.baseImages.python}\nLABEL test.marker="${marker}"\n`;
    await buildImage(
      docker,
      createTar([{ name: 'Dockerfile', type: 'file', mode: 0o644, data: Buffer.from(dockerfile) }]),
      { tag: movingBase, dockerfile: 'Dockerfile', buildArgs: {}, labels: {}, registryAuth: {}, file: 'base' },
    );
    const [repository = '', tag = ''] = [
      movingBase.slice(0, movingBase.lastIndexOf(':')),
      movingBase.slice(movingBase.lastIndexOf(':') + 1),
    ];
    await pushImage(
      docker,
      {
        host: state.registry.host,
        namespace: '',
        credentials: { username: state.registry.username, password: state.registry.password },
        ca: [],
        plainHttp: false,
        insecure: false,
      },
      repository,
      tag,
    );
  }

  async function detect(...args: string[]): Promise<Detected> {
    const result = await runCli(['detect', '--repo', repo, '--json', ...only, ...args], env);
    expect(result.status, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as Detected;
  }

  beforeAll(async () => {
    state = await environmentState();
    const namespace = uniqueNamespace('detect');
    movingBase = `${state.registry.host}/${namespace}-base/python:moving`;
    // The moving base is built by the engine for its own platform only: the images are made for that one.
    env = {
      NEURONS_NAMESPACE: namespace,
      NEURONS_BASE_PYTHON: movingBase,
      NEURONS_CHANNEL: 'devel',
      NEURONS_PLATFORMS: 'linux/amd64',
    };
    await publishBase('one');
    repo = await copyFixture();
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'workers');
    const published = await runCli(['push', '--repo', repo, '--json', ...only], env);
    expect(published.status, published.stderr).toBe(0);
  });

  it('finds nothing to do when nothing changed, with a handful of registry reads', async () => {
    const detected = await detect('--base', 'HEAD');
    expect(detected.rebuild).toEqual([]);
    expect(detected.unchanged).toBe(6);
    expect(detected.source.kind).toBe('git');
    // One sample per template (python, go, node), not every flavor.
    expect(detected.digestChecks).toBeLessThan(6);
  });

  it('one file changed: its worker, for files; a definition: that flavor; a change outside: nothing', async () => {
    await writeFile(path.join(repo, 'analyzers/HashCalc/hashcalc.py'), '\n# changed\n', { flag: 'a' });
    const definition = path.join(repo, 'analyzers/FileTriage/FileTriage.json');
    await writeFile(
      definition,
      (await readFile(definition, 'utf8')).replace('"description": "', '"description": "Changed: '),
    );
    await writeFile(path.join(repo, 'NOTES.md'), 'unrelated\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'change');
    const detected = await detect('--base', 'HEAD~1');
    expect(detected.rebuild).toEqual([
      { kind: 'analyzer', directory: 'FileTriage', flavors: ['FileTriage'], reasons: ['definition'], refused: [] },
      {
        kind: 'analyzer',
        directory: 'HashCalc',
        flavors: ['HashCalc_MD5', 'HashCalc_SHA1', 'HashCalc_SHA256'],
        reasons: ['files'],
        refused: [],
      },
    ]);
  });

  it('falls back to build inputs for everything when the base is unknown (force-push), and says so', async () => {
    const detected = await detect('--base', 'f'.repeat(40));
    expect(detected.source).toMatchObject({ kind: 'none', note: expect.stringContaining('git cannot tell') });
    expect(detected.rebuild.map((worker) => worker.directory)).toEqual(['FileTriage', 'HashCalc']);
    expect(detected.digestChecks).toBe(6);
  });

  it('sees a base image pushed anew under the same tag: its users only', async () => {
    const published = await runCli(['push', '--repo', repo, '--json', ...only], env);
    expect(published.status, published.stderr).toBe(0);
    expect((await detect('--base', 'HEAD')).rebuild).toEqual([]);
    await publishBase('two');
    const detected = await detect('--base', 'HEAD');
    expect(detected.rebuild.map((worker) => [worker.directory, worker.reasons])).toEqual([
      ['FileTriage', ['base-image']],
      ['HashCalc', ['base-image']],
    ]);
    expect(detected.unchanged).toBe(2);
  });
});
