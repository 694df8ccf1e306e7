import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain as run } from '../helpers/memory-io.js';
import { definitionText, pythonWorker, writeTree } from './definitions/fixture.js';

/** A folder with one flavor missing its command file (a known problem to be) and a sound one. */
const tree = pythonWorker('Echo', {
  'Echo.json': definitionText(),
  'Echo_Broken.json': definitionText({ name: 'Echo_Broken', command: 'Echo/missing.py' }),
});

describe('neurons validate --baseline', () => {
  it('writes the known problems by code, file and pointer, then passes on them and fails on a new one', async () => {
    const repo = await writeTree(tree);
    const baseline = path.join(repo, 'neurons-baseline.json');
    const written = await run(['validate', '--write-baseline', baseline], repo);
    expect(written.code).toBe(0);
    expect(JSON.parse(await readFile(baseline, 'utf8'))).toEqual({
      version: 1,
      problems: [{ code: 'DEF_COMMAND_MISSING', file: 'analyzers/Echo/Echo_Broken.json', pointer: '/command' }],
    });

    // Lines moved in the known file (a field added above) keep the problem known: no positions in the baseline.
    await writeFile(
      path.join(repo, 'analyzers/Echo/Echo_Broken.json'),
      definitionText({ name: 'Echo_Broken', command: 'Echo/missing.py', description: 'moved\nlines' }).replace(
        '{',
        '{\n\n\n',
      ),
    );
    const known = await run(['validate', '--baseline', baseline], repo);
    expect(known.code).toBe(0);
    expect(known.stdout).toMatch(/known error: .*DEF_COMMAND_MISSING/);
    expect(known.stdout).toContain('1 errors (1 known, 0 new)');

    await writeFile(path.join(repo, 'analyzers/Echo/Echo.json'), definitionText({ version: 'latest' }));
    const fresh = await run(['validate', '--baseline', baseline, '--json'], repo);
    expect(fresh.code).toBe(1);
    const report = JSON.parse(fresh.stdout) as { errors: Array<{ code: string; known: boolean }>; baseline: unknown };
    expect(report.errors.map(({ code, known: isKnown }) => [code, isKnown])).toEqual([
      ['DEF_VERSION_INVALID', false],
      ['DEF_COMMAND_MISSING', true],
    ]);
    expect(report.baseline).toEqual({ known: 1, new: 1, stale: [] });

    // Without the baseline, the known problem fails as before.
    expect((await run(['validate'], repo)).code).toBe(1);
  });

  it('says which baseline entries are fixed', async () => {
    const repo = await writeTree(tree);
    const baseline = path.join(repo, 'baseline.json');
    await run(['validate', '--write-baseline', baseline], repo);
    await writeFile(path.join(repo, 'analyzers/Echo/missing.py'), '');
    const result = await run(['validate', '--baseline', baseline], repo);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1 baseline problem(s) no longer found');
  });

  it('refuses a baseline that is missing or not one, with exit 2', async () => {
    const repo = await writeTree(tree);
    expect(await run(['validate', '--baseline', 'nope.json'], repo)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('BASELINE_INVALID'),
    });
    await writeFile(path.join(repo, 'bad.json'), JSON.stringify({ version: 1, problems: [{ code: 'X' }] }));
    expect(await run(['validate', '--baseline', 'bad.json'], repo)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/bad\.json \(\/problems\/0\): BASELINE_INVALID/),
    });
  });

  it('plan and detect fail on new problems only: a CI matrix step is not blocked by a known one', async () => {
    const repo = await writeTree(tree);
    const baseline = path.join(repo, 'neurons-baseline.json');
    expect((await run(['validate', '--write-baseline', baseline], repo)).code).toBe(0);
    // Git mode without a base, offline: no registry is read (the one named listens nowhere).
    const env = {
      NEURONS_ENV_DIR: await mkdtemp(path.join(tmpdir(), 'neurons-no-env-')),
      NEURONS_REGISTRY: '127.0.0.1:1',
      NEURONS_NAMESPACE: 'acme',
      NEURONS_BASE_PYTHON: 'python:3.11-bookworm',
    };
    for (const command of ['plan', 'detect']) {
      const args = [command, '--mode', 'git', '--offline'];
      expect((await run(args, repo, env)).code, command).toBe(1);
      const known = await run([...args, '--baseline', baseline], repo, env);
      expect(known.code, `${command}: ${known.stderr}`).toBe(0);
    }
    await writeFile(path.join(repo, 'analyzers/Echo/Echo.json'), definitionText({ version: 'latest' }));
    expect((await run(['plan', '--mode', 'git', '--offline', '--baseline', baseline], repo, env)).code).toBe(1);
  });

  it('catalog and generate fail on new problems only, and write what they write without the baseline', async () => {
    const repo = await writeTree(tree);
    const baseline = path.join(repo, 'neurons-baseline.json');
    expect((await run(['validate', '--write-baseline', baseline], repo)).code).toBe(0);
    const env = {
      NEURONS_ENV_DIR: await mkdtemp(path.join(tmpdir(), 'neurons-no-env-')),
      NEURONS_REGISTRY: '127.0.0.1:1',
      NEURONS_NAMESPACE: 'acme',
      NEURONS_BASE_PYTHON: 'python:3.11-bookworm',
    };
    const catalog = (out: string, ...extra: string[]) =>
      run(['catalog', '--no-verify', '--registry', 'registry.example/acme', '--output', out, ...extra], repo, env);
    const generate = (...extra: string[]) =>
      run(['generate', '--offline', '--output', path.join(repo, 'dockerfiles'), ...extra], repo, env);
    expect((await catalog('without')).code).toBe(1);
    expect((await generate()).code).toBe(1);
    const known = await catalog('with', '--baseline', baseline);
    expect(known.code, known.stderr).toBe(0);
    expect(known.stderr).toMatch(/known {3}analyzers\/Echo\/Echo_Broken\.json.*DEF_COMMAND_MISSING/);
    // The baseline changes the exit code only: the catalog is the one written without it.
    expect(await readFile(path.join(repo, 'with', 'analyzers.json'), 'utf8')).toBe(
      await readFile(path.join(repo, 'without', 'analyzers.json'), 'utf8'),
    );
    expect((await generate('--baseline', baseline)).code).toBe(0);
    await writeFile(path.join(repo, 'analyzers/Echo/Echo.json'), definitionText({ version: 'latest' }));
    expect((await catalog('with', '--baseline', baseline)).code).toBe(1);
    expect((await generate('--baseline', baseline)).code).toBe(1);
  });
});
