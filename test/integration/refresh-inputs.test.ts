import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogIndex } from '../../src/catalog/index-file.js';
import type { RegistryClient } from '../../src/registry/client.js';
import {
  copyFixture,
  environmentState,
  registryClient,
  root,
  runCli,
  uniqueNamespace,
} from '../helpers/environment.js';

interface Outcome {
  id: string;
  status: string;
  reasons: string[];
  images: Array<{ reference: string; digest: string }>;
  problem?: { code: string; message: string };
}

function git(repo: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', ...args], {
    cwd: repo,
    encoding: 'utf8',
  }).trim();
}

// On the stable channel a published version is immutable in what is the worker's own (its files, its definition);
// what we bring (the template, the protocol adapter, the base, the settings) may refresh it under the same version.
// One repository with a Python folder (assembled in the registry), a Go one (built by the engine, with the adapter
// of the old protocol) and a three-flavor one, published once and changed one way at a time. Smoke tests are
// skipped: a Go worker told the wrong protocol builds an image that cannot run, and the decision is what is tested.
describe('stable versions refreshed without --force, and still immutable in their own content', () => {
  let repo: string;
  let namespace: string;
  let client: RegistryClient;
  const only = ['--only', 'FileTriage', '--only', 'GoDomainCheck', '--only', 'HashCalc'];

  const push = async (...args: string[]): Promise<{ status: number; outcomes: Outcome[]; stdout: string }> => {
    const result = await runCli([
      'push',
      '--repo',
      repo,
      '--namespace',
      namespace,
      '--mode',
      'digest',
      '--skip-tests',
      '--json',
      ...(args.includes('--only') ? [] : only),
      ...args,
    ]);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { outcomes?: Outcome[] };
    return { status: result.status, outcomes: summary.outcomes ?? [], stdout: result.stdout + result.stderr };
  };
  const outcome = (outcomes: Outcome[], id: string): Outcome | undefined => outcomes.find((item) => item.id === id);
  const digestOf = async (repository: string, tag: string): Promise<string | undefined> =>
    (await client.headManifest(`${namespace}/${repository}`, tag))?.digest;
  const configure = (config: object): Promise<void> =>
    writeFile(path.join(repo, 'neurons.json'), JSON.stringify(config, null, 2));

  beforeAll(async () => {
    const state = await environmentState();
    client = registryClient(state);
    repo = await copyFixture();
    // The three folders only: a catalog of the whole fixture would wait on every other image.
    for (const folder of ['analyzers/EmailHeaders', 'analyzers/IPClassifier', 'analyzers/UrlInspect', 'responders'])
      await rm(path.join(repo, folder), { recursive: true, force: true });
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'workers');
    namespace = uniqueNamespace('refresh');
    const first = await push();
    expect(first.status, first.stdout).toBe(0);
    expect(first.outcomes.map((item) => item.status)).toEqual(Array(5).fill('pushed'));
  });

  afterAll(async () => {
    await client.close();
  });

  it('lists every flavor in index.json with its build-input digest and revision, from an empty output folder with nothing rebuilt', async () => {
    const out = path.join(repo, 'published-first');
    const run = await runCli([
      'pipeline',
      '--repo',
      repo,
      '--namespace',
      namespace,
      '--mode',
      'digest',
      '--skip-tests',
      '--output',
      out,
      '--json',
    ]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { outcomes: Outcome[] };
    expect(summary.outcomes.map((item) => item.status)).toEqual(Array(5).fill('unchanged'));
    const index = JSON.parse(await readFile(path.join(out, 'index.json'), 'utf8')) as CatalogIndex;
    expect(index.flavors.map((flavor) => flavor.id).sort()).toEqual([
      'FileTriage_1_0',
      'GoDomainCheck_1_2_0',
      'HashCalc_MD5_1_0',
      'HashCalc_SHA1_1_0',
      'HashCalc_SHA256_1_1',
    ]);
    const revision = git(repo, 'rev-parse', 'HEAD');
    for (const flavor of index.flavors) {
      // What the image says of itself: the index records its inputs whether or not this run made it.
      const [tag = ''] = flavor.tags;
      const labels =
        (await client.getImageConfig(flavor.image.slice(flavor.image.indexOf('/') + 1), tag))?.config.config?.Labels ??
        {};
      expect({ id: flavor.id, buildInputDigest: flavor.buildInputDigest, revision: flavor.revision }).toEqual({
        id: flavor.id,
        buildInputDigest: labels['io.neurons.build-input-digest'],
        revision,
      });
      expect(flavor.buildInputDigest, flavor.id).toMatch(/^sha256:[0-9a-f]{64}$/);
      // The worker's own content is recorded beside the other parts, assembled or built by the engine alike.
      const recorded = JSON.parse(labels['io.neurons.build-inputs'] ?? '{}') as Record<string, string>;
      expect(Object.keys(recorded), flavor.id).toEqual(
        expect.arrayContaining(['workerFiles', 'flavorDefinition', 'workerSettings', 'context', 'definition']),
      );
    }

    // An index written without them (as older versions did): a refresh reads them back from the labels.
    const stripped = {
      ...index,
      flavors: index.flavors.map(({ buildInputDigest: _digest, revision: _revision, ...flavor }) => flavor),
    };
    await writeFile(path.join(out, 'index.json'), `${JSON.stringify(stripped, null, 2)}\n`);
    const refresh = await runCli(['catalog', '--refresh', '--repo', repo, '--out', out]);
    expect(refresh.status, refresh.stdout + refresh.stderr).toBe(0);
    const refreshed = JSON.parse(await readFile(path.join(out, 'index.json'), 'utf8')) as CatalogIndex;
    expect(refreshed.serial).toBe(index.serial + 1);
    expect(refreshed.flavors.map(({ id, buildInputDigest, revision }) => ({ id, buildInputDigest, revision }))).toEqual(
      index.flavors.map(({ id, buildInputDigest, revision }) => ({ id, buildInputDigest, revision })),
    );
  });

  it('republishes a Go worker whose protocol setting changed as a refresh of the same version', async () => {
    const before = await digestOf('godomaincheck', '1.2.0');
    // The fixture speaks the old protocol (detected): the setting says otherwise, so the adapter goes.
    await configure({ workers: { GoDomainCheck: { protocol: 'job' } } });
    // The plan, as a person reads it, says why.
    const plan = await runCli([
      'push',
      '--repo',
      repo,
      '--namespace',
      namespace,
      '--mode',
      'digest',
      '--dry-run',
      '--only',
      'GoDomainCheck',
    ]);
    expect(plan.status, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/GoDomainCheck_1_2_0 +planned +settings /);
    const run = await push();
    expect(run.status, run.stdout).toBe(0);
    expect(outcome(run.outcomes, 'GoDomainCheck_1_2_0')).toMatchObject({ status: 'pushed', reasons: ['settings'] });
    expect(outcome(run.outcomes, 'FileTriage_1_0')?.status).toBe('unchanged');
    const after = await digestOf('godomaincheck', '1.2.0');
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    await rm(path.join(repo, 'neurons.json'));
  });

  it('republishes a Python worker when our template is copied into the repository as a configured one, then refuses its own changes', async () => {
    const before = await digestOf('filetriage', '1.0');
    await mkdir(path.join(repo, 'ci'), { recursive: true });
    await copyFile(
      path.join(root, 'templates', 'python.Dockerfile.hbs'),
      path.join(repo, 'ci', 'python.Dockerfile.hbs'),
    );
    await configure({ templates: { python: 'ci/python.Dockerfile.hbs' } });
    const run = await push('--only', 'FileTriage');
    expect(run.status, run.stdout).toBe(0);
    const refreshed = outcome(run.outcomes, 'FileTriage_1_0');
    // A byte-identical copy, yet a configured template: built by the engine, with another template id.
    expect(refreshed?.status).toBe('pushed');
    expect(refreshed?.reasons).toContain('template');
    expect(refreshed?.reasons).not.toContain('files');
    expect(refreshed?.reasons).not.toContain('definition');
    const after = await digestOf('filetriage', '1.0');
    expect(after).not.toBe(before);

    // The worker's own code, on the image the configured template made: refused, named as files.
    const code = path.join(repo, 'analyzers/FileTriage/filetriage.py');
    const source = await readFile(code, 'utf8');
    await writeFile(code, `${source}\n# changed without a new version\n`);
    const refusedCode = await push('--only', 'FileTriage');
    expect(refusedCode.status).toBe(1);
    expect(outcome(refusedCode.outcomes, 'FileTriage_1_0')).toMatchObject({
      status: 'failed',
      reasons: ['files'],
      problem: { code: 'TAG_IMMUTABLE' },
    });
    await writeFile(code, source);

    // Its definition likewise.
    const file = path.join(repo, 'analyzers/FileTriage/FileTriage.json');
    const definition = await readFile(file, 'utf8');
    await writeFile(
      file,
      JSON.stringify({ ...(JSON.parse(definition) as object), description: 'Changed without a new version' }, null, 2),
    );
    const refusedDefinition = await push('--only', 'FileTriage');
    expect(refusedDefinition.status).toBe(1);
    expect(outcome(refusedDefinition.outcomes, 'FileTriage_1_0')).toMatchObject({
      status: 'failed',
      reasons: ['definition'],
      problem: { code: 'TAG_IMMUTABLE' },
    });
    await writeFile(file, definition);
    expect(await digestOf('filetriage', '1.0')).toBe(after);
  });

  it("still refuses a change to a worker's code built by the engine (Go)", async () => {
    const before = await digestOf('godomaincheck', '1.2.0');
    await writeFile(path.join(repo, 'analyzers/GoDomainCheck/main.go'), '\n// changed without a new version\n', {
      flag: 'a',
    });
    const refused = await push('--only', 'GoDomainCheck');
    expect(refused.status).toBe(1);
    expect(outcome(refused.outcomes, 'GoDomainCheck_1_2_0')).toMatchObject({
      status: 'failed',
      problem: { code: 'TAG_IMMUTABLE' },
    });
    expect(outcome(refused.outcomes, 'GoDomainCheck_1_2_0')?.reasons).toContain('files');
    expect(await digestOf('godomaincheck', '1.2.0')).toBe(before);
  });
});
