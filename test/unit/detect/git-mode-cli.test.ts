import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { memoryStream } from '../../helpers/memory-io.js';
import { definitionText } from '../definitions/fixture.js';
import { createRepo, removeTempDirs, runGit, writeFiles } from './git-fixture.js';

afterAll(removeTempDirs);

describe('neurons detect --mode git', () => {
  it('answers from git alone: no registry is read, not even to pin base images', async () => {
    const repo = await createRepo();
    await writeFiles(repo, {
      'neurons.json': JSON.stringify({ baseImages: { python: 'python:3.11-slim' } }),
      'analyzers/Echo/Echo.json': definitionText(),
      'analyzers/Echo/echo.py': 'print("one")\n',
    });
    runGit(repo, 'add', '-A');
    runGit(repo, 'commit', '-qm', 'workers');
    await writeFiles(repo, { 'analyzers/Echo/echo.py': 'print("two")\n' });
    runGit(repo, 'commit', '-qam', 'change Echo');
    // A registry nobody listens on (loopback port 1): any request to it would fail the run.
    const env = {
      NEURONS_REGISTRY: '127.0.0.1:1',
      NEURONS_NAMESPACE: 'acme',
      NEURONS_ENV_DIR: await mkdtemp(path.join(tmpdir(), 'neurons-no-env-')),
    };
    const stdout = memoryStream();
    const stderr = memoryStream();
    const code = await main(['detect', '--mode', 'git', '--base', 'HEAD~1', '--json'], {
      cwd: repo,
      env,
      stdout,
      stderr,
    });
    expect(code, stderr.text()).toBe(0);
    expect(JSON.parse(stdout.text())).toMatchObject({
      mode: 'git',
      digestChecks: 0,
      rebuild: [{ directory: 'Echo', reasons: ['files'] }],
    });
  });
});
