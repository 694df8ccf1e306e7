import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import { RegistryClient } from '../../src/registry/client.js';
import {
  copyFixture,
  environmentState,
  environmentVariables,
  registryLog,
  runCli,
  uniqueNamespace,
} from '../helpers/environment.js';

interface Summary {
  type: 'summary';
  folderBuilds: number;
  outcomes: Array<{
    id: string;
    status: string;
    reasons: string[];
    images: Array<{ reference: string; digest: string }>;
    problem?: { code: string };
  }>;
}

/** `neurons push`: the pipeline without the catalogs (which would miss the workers left out by --only). */
async function pipeline(
  repo: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number; summary: Summary; stderr: string }> {
  const result = await runCli(['push', '--repo', repo, '--json', ...args], env);
  const last = result.stdout.trim().split('\n').at(-1) ?? '{}';
  return { status: result.status, summary: JSON.parse(last) as Summary, stderr: result.stderr };
}

/** Blob uploads the registry completed for a namespace, by digest (from its access log, past `offset`). */
async function uploadedBlobs(
  state: EnvironmentState,
  registry: 'registry' | 'mirror',
  namespace: string,
  offset: number,
): Promise<string[]> {
  const log = await registryLog.since(state, offset, registry);
  const pattern = new RegExp(`"PUT /v2/${namespace}/[^ ]+/blobs/uploads/[^ ]*digest=(sha256%3A[0-9a-f]{64})`, 'g');
  return [...log.matchAll(pattern)].map((match) => match[1] ?? '');
}

async function editDefinition(
  repo: string,
  file: string,
  edit: (definition: Record<string, unknown>) => void,
): Promise<void> {
  const definition = JSON.parse(await readFile(path.join(repo, file), 'utf8')) as Record<string, unknown>;
  edit(definition);
  await writeFile(path.join(repo, file), JSON.stringify(definition, null, 2));
}

describe('publishing only what changed, to every registry, never overwriting a version', () => {
  let state: EnvironmentState;
  let client: RegistryClient;
  const only = ['--only', 'HashCalc', '--only', 'TagCase', '--only', 'FileTriage'];

  beforeAll(async () => {
    state = await environmentState();
    client = new RegistryClient({
      host: state.registry.host,
      ca: [await readFile(state.caFile, 'utf8')],
      credentials: { username: state.registry.username, password: state.registry.password },
    });
  });

  it('builds nothing and uploads no blob when nothing changed', async () => {
    const repo = await copyFixture();
    const namespace = uniqueNamespace('noop');
    const offset = await registryLog.size(state);
    const first = await pipeline(repo, ['--namespace', namespace, ...only]);
    expect(first.status).toBe(0);
    expect(first.summary.outcomes.map((outcome) => outcome.status)).toEqual(Array(5).fill('pushed'));
    const uploadsAfterFirst = (await uploadedBlobs(state, 'registry', namespace, offset)).length;
    expect(uploadsAfterFirst).toBeGreaterThan(0);
    const second = await pipeline(repo, ['--namespace', namespace, ...only]);
    expect(second.status).toBe(0);
    expect(second.summary.folderBuilds).toBe(0);
    expect(second.summary.outcomes.map((outcome) => outcome.status)).toEqual(Array(5).fill('unchanged'));
    expect((await uploadedBlobs(state, 'registry', namespace, offset)).length).toBe(uploadsAfterFirst);
  });

  it('pushes to a primary and a mirror, each blob uploaded once per registry', async () => {
    const repo = await copyFixture();
    const namespace = uniqueNamespace('mirror');
    const registries = [state.registry.host, state.mirror.host].map((host) => ({
      host,
      namespace,
      username: state.registry.username,
      passwordEnv: 'TEST_REGISTRY_PASSWORD',
      ca: [state.caFile],
    }));
    await writeFile(path.join(repo, 'neurons.json'), JSON.stringify({ registries }));
    const mirrorOffset = await registryLog.size(state, 'mirror');
    const run = await pipeline(repo, only, {
      ...environmentVariables(state),
      TEST_REGISTRY_PASSWORD: state.registry.password,
    });
    expect(run.status).toBe(0);
    const references = run.summary.outcomes.flatMap((outcome) => outcome.images.map((image) => image.reference));
    expect(references.filter((reference) => reference.startsWith(`${state.mirror.host}/`))).toHaveLength(
      references.length / 2,
    );
    const mirror = new RegistryClient({
      host: state.mirror.host,
      ca: [await readFile(state.caFile, 'utf8')],
      credentials: { username: state.registry.username, password: state.registry.password },
    });
    try {
      expect(await mirror.headManifest(`${namespace}/hashcalc_sha1`, '1.0')).toBeDefined();
    } finally {
      await mirror.close();
    }
    // Five repositories share the Python base layers: each blob crosses to the mirror once (then it is mounted).
    const blobs = await uploadedBlobs(state, 'mirror', namespace, mirrorOffset);
    expect(blobs.length).toBeGreaterThan(0);
    expect(new Set(blobs).size).toBe(blobs.length);
  });

  it('refuses to overwrite a published version with other content unless forced', async () => {
    const repo = await copyFixture();
    const namespace = uniqueNamespace('immutable');
    expect((await pipeline(repo, ['--namespace', namespace, '--only', 'HashCalc'])).status).toBe(0);
    const before = await client.headManifest(`${namespace}/hashcalc_md5`, '1.0');
    await editDefinition(
      repo,
      'analyzers/HashCalc/HashCalc_MD5.json',
      (definition) => void (definition['description'] = 'Changed without a new version'),
    );
    const refused = await pipeline(repo, ['--namespace', namespace, '--only', 'HashCalc']);
    expect(refused.status).toBe(1);
    const statuses = Object.fromEntries(
      refused.summary.outcomes.map((outcome) => [outcome.id, `${outcome.status}:${outcome.problem?.code ?? ''}`]),
    );
    // Definitions stay out of the folder image: only the changed flavor is concerned.
    expect(statuses).toEqual({
      HashCalc_MD5_1_0: 'failed:TAG_IMMUTABLE',
      HashCalc_SHA1_1_0: 'unchanged:',
      HashCalc_SHA256_1_1: 'unchanged:',
    });
    expect((await client.headManifest(`${namespace}/hashcalc_md5`, '1.0'))?.digest).toBe(before?.digest);
    const forced = await pipeline(repo, ['--namespace', namespace, '--only', 'HashCalc', '--force']);
    expect(forced.status).toBe(0);
    expect(forced.summary.outcomes.find((outcome) => outcome.id === 'HashCalc_MD5_1_0')).toMatchObject({
      status: 'pushed',
      reasons: ['definition'],
    });
    expect((await client.headManifest(`${namespace}/hashcalc_md5`, '1.0'))?.digest).not.toBe(before?.digest);
  });

  it('keeps a moving tag on the highest version', async () => {
    const repo = await copyFixture();
    const namespace = uniqueNamespace('major');
    await editDefinition(
      repo,
      'analyzers/HashCalc/HashCalc_MD5.json',
      (definition) => void (definition['version'] = '1.5'),
    );
    expect((await pipeline(repo, ['--namespace', namespace, '--only', 'HashCalc'])).status).toBe(0);
    await editDefinition(
      repo,
      'analyzers/HashCalc/HashCalc_MD5.json',
      (definition) => void (definition['version'] = '1.2'),
    );
    const older = await pipeline(repo, ['--namespace', namespace, '--only', 'HashCalc']);
    expect(older.status).toBe(0);
    const md5 = older.summary.outcomes.find((outcome) => outcome.id === 'HashCalc_MD5_1_2');
    expect(md5?.images.map((image) => image.reference.split(':').at(-1))).toEqual(['1.2']);
    const major = await client.getImageConfig(`${namespace}/hashcalc_md5`, '1');
    expect(major?.config.config?.Labels?.['org.opencontainers.image.version']).toBe('1.5');
  });

  it('moves the devel tag on any change, and the dry run says why without building', async () => {
    const repo = await copyFixture();
    const namespace = uniqueNamespace('devel');
    expect(
      (await pipeline(repo, ['--namespace', namespace, '--only', 'FileTriage', '--channel', 'devel'])).status,
    ).toBe(0);
    await writeFile(path.join(repo, 'analyzers/FileTriage/filetriage.py'), '\n# changed\n', { flag: 'a' });
    const before = await client.headManifest(`${namespace}/filetriage`, 'devel');
    const plan = await pipeline(repo, [
      '--namespace',
      namespace,
      '--only',
      'FileTriage',
      '--channel',
      'devel',
      '--dry-run',
    ]);
    expect(plan.summary.outcomes).toMatchObject([{ id: 'FileTriage_1_0', status: 'planned', reasons: ['files'] }]);
    expect(plan.summary.folderBuilds).toBe(0);
    expect((await client.headManifest(`${namespace}/filetriage`, 'devel'))?.digest).toBe(before?.digest);
    const run = await pipeline(repo, ['--namespace', namespace, '--only', 'FileTriage', '--channel', 'devel']);
    expect(run.summary.outcomes).toMatchObject([{ status: 'pushed', reasons: ['files'] }]);
    expect((await client.headManifest(`${namespace}/filetriage`, 'devel'))?.digest).not.toBe(before?.digest);
  });
});
