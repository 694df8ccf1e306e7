import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import { platformName, runnableManifests } from '../../src/registry/manifest.js';
import type { ImageMetadata } from '../../src/push/image-metadata.js';
import {
  copyFixture,
  environmentState,
  registryClient,
  runCli,
  uniqueNamespace,
  type CliResult,
} from '../helpers/environment.js';
import { parseStepOutputs } from '../helpers/github-job.js';

describe('pipeline in a GitHub Actions job: step outputs, job summary and metadata file, against the TLS registry', () => {
  let state: EnvironmentState;
  let namespace: string;
  let job: string;
  let result: CliResult;

  beforeAll(async () => {
    state = await environmentState();
    const repo = await copyFixture();
    // One broken flavor beside the good ones: it is left out alone, and annotated.
    const good = await readFile(path.join(repo, 'analyzers/HashCalc/HashCalc_MD5.json'), 'utf8');
    await writeFile(
      path.join(repo, 'analyzers/HashCalc/HashCalc_Broken.json'),
      good.replace('"HashCalc_MD5"', '"HashCalc_Broken"').replace('"1.0"', '"latest"'),
    );
    job = await mkdtemp(path.join(tmpdir(), 'neurons-github-job-'));
    namespace = uniqueNamespace('gh');
    result = await runCli(
      [
        'pipeline',
        '--repo',
        repo,
        '--output',
        path.join(repo, 'out'),
        '--namespace',
        namespace,
        '--only',
        'HashCalc',
        '--skip-tests',
        '--metadata-file',
        path.join(job, 'images.json'),
      ],
      {
        GITHUB_ACTIONS: 'true',
        GITHUB_OUTPUT: path.join(job, 'output'),
        GITHUB_STEP_SUMMARY: path.join(job, 'summary.md'),
      },
    );
  });

  it('pushes the folder and folds its build log under the folder name', () => {
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.stdout).toMatch(/HashCalc_MD5_1_0\s+pushed/);
    expect(result.stderr).toMatch(/^::group::analyzers\/HashCalc\n(?:(?!::group::).*\n)*::endgroup::$/m);
  });

  it('annotates the validation problem of the broken flavor, which fails the run', () => {
    expect(result.stderr).toMatch(
      /^::error file=analyzers\/HashCalc\/HashCalc_Broken\.json,line=3,col=\d+,title=DEF_VERSION_INVALID::/m,
    );
    expect(result.status).toBe(1);
  });

  it('writes digests that the registry serves, and the counts', async () => {
    const outputs = parseStepOutputs(await readFile(path.join(job, 'output'), 'utf8'));
    expect(outputs['pushed']).toBe('3');
    expect(outputs['failed']).toBe('0');
    const digests = JSON.parse(outputs['digests'] ?? '{}') as Record<string, string>;
    // Three flavors, each tagged X.Y.Z or X.Y, and X.
    expect(Object.keys(digests).length).toBeGreaterThanOrEqual(6);
    const client = registryClient(state);
    try {
      for (const [reference, digest] of Object.entries(digests)) {
        expect(reference.startsWith(`${state.registry.host}/${namespace}/hashcalc_`), reference).toBe(true);
        const [repository = '', tag = ''] = reference.slice(state.registry.host.length + 1).split(':');
        expect((await client.headManifest(repository, tag))?.digest, reference).toBe(digest);
      }
    } finally {
      await client.close();
    }
  });

  it('writes a metadata file listing each reference and each platform manifest the registry serves', async () => {
    const metadata = JSON.parse(await readFile(path.join(job, 'images.json'), 'utf8')) as ImageMetadata;
    const outputs = parseStepOutputs(await readFile(path.join(job, 'output'), 'utf8'));
    expect(metadata.complete).toBe(true);
    expect(Object.fromEntries(metadata.images.map((image) => [image.reference, image.digest]))).toEqual(
      JSON.parse(outputs['digests'] ?? '{}'),
    );
    const client = registryClient(state);
    try {
      for (const image of metadata.images) {
        const repository = image.reference.slice(state.registry.host.length + 1).split(':')[0] ?? '';
        const index = await client.readManifest(repository, image.digest);
        expect(index?.manifest.kind, image.reference).toBe('index');
        const served =
          index?.manifest.kind === 'index'
            ? runnableManifests(index.manifest.manifests).map((entry) => ({
                platform: platformName(entry.platform),
                digest: entry.digest,
              }))
            : [];
        expect(served.length).toBeGreaterThan(0);
        expect(image.platforms).toEqual(served);
      }
    } finally {
      await client.close();
    }
  });

  it('appends the job summary: every flavor with its images and digests', async () => {
    const summary = await readFile(path.join(job, 'summary.md'), 'utf8');
    expect(summary).toContain('### neurons pipeline');
    expect(summary).toMatch(/\| HashCalc_Broken_latest \| invalid \| [^|]*DEF_VERSION_INVALID/);
    expect(summary).toMatch(/\| HashCalc_SHA256_1_1 \| pushed \| [^|]*hashcalc_sha256:1\.1<br>sha256:[0-9a-f]{64}/);
  });
});

describe('push of a folder the engine builds: the metadata file names its platform manifest', () => {
  it('lists the image pushed with the platform of the engine and digests the registry serves', async () => {
    const state = await environmentState();
    const repo = await copyFixture();
    const job = await mkdtemp(path.join(tmpdir(), 'neurons-github-job-'));
    const namespace = uniqueNamespace('gh-engine');
    const result = await runCli(
      [
        'push',
        '--repo',
        repo,
        '--namespace',
        namespace,
        '--only',
        'IPClassifier',
        '--skip-tests',
        '--metadata-file',
        path.join(job, 'images.json'),
      ],
      { GITHUB_OUTPUT: path.join(job, 'output') },
    );
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.stdout).toMatch(/IPClassifier\S*\s+pushed/);
    const metadata = JSON.parse(await readFile(path.join(job, 'images.json'), 'utf8')) as ImageMetadata;
    expect(metadata.images.length).toBeGreaterThan(0);
    expect(parseStepOutputs(await readFile(path.join(job, 'output'), 'utf8'))['failed']).toBe('0');
    const client = registryClient(state);
    try {
      for (const image of metadata.images) {
        const [repository = '', tag = ''] = image.reference.slice(state.registry.host.length + 1).split(':');
        expect((await client.headManifest(repository, tag))?.digest).toBe(image.digest);
        const found = await client.readManifest(repository, image.digest);
        const expected =
          found?.manifest.kind === 'index'
            ? runnableManifests(found.manifest.manifests).map((entry) => ({
                platform: platformName(entry.platform),
                digest: entry.digest,
              }))
            : [{ platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`, digest: image.digest }];
        expect(image.platforms).toEqual(expected);
      }
    } finally {
      await client.close();
    }
  });
});

describe('plan --format github in a GitHub job', () => {
  it('writes the matrix it prints as the step output `matrix`', async () => {
    const repo = await copyFixture();
    const job = await mkdtemp(path.join(tmpdir(), 'neurons-github-job-'));
    const plan = await runCli(['plan', '--repo', repo, '--shards', '2', '--format', 'github'], {
      NEURONS_NAMESPACE: uniqueNamespace('gh-plan'),
      GITHUB_OUTPUT: path.join(job, 'output'),
    });
    expect(plan.status, plan.stderr).toBe(0);
    const printed = JSON.parse(plan.stdout) as { include: Array<{ shard: string }> };
    expect(printed.include.map((entry) => entry.shard)).toEqual(['1/2', '2/2']);
    const outputs = parseStepOutputs(await readFile(path.join(job, 'output'), 'utf8'));
    expect(outputs).toEqual({ matrix: plan.stdout.trim() });
  });
});
