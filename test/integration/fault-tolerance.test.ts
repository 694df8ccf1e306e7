import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogIndex } from '../../src/catalog/index-file.js';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import { layerTitled, readArtifactManifest } from '../../src/registry/artifact.js';
import {
  copyFixture,
  environmentState,
  environmentVariables,
  registryClient,
  runCli,
  uniqueNamespace,
  type CliResult,
} from '../helpers/environment.js';
import { startFaultProxy, type FaultKind, type FaultProxy, type FaultRule } from '../helpers/fault-proxy.js';
import { startPutServer, type PutServer } from '../unit/catalog/put-server.js';

// The fixture through a fault-injecting TLS proxy in front of the real registry (and one in front of a PUT server for
// the published catalogs): neurons' own requests and the engine's pushes and pulls meet 500, 503, 429 with
// Retry-After, resets (mid-body, mid-upload) and stalls, and every stage must still end with exit 0 and everything
// published. The faults hit the test's namespace only: the base images the builds pull pass untouched (a build is
// not retried). Each stage's numbers are printed as a table (copied to the README).

/**
 * Faults on the namespace's paths. neurons' own requests get each kind at 8-10%. The engine's get fewer: one push is
 * ~10 requests, and one failed request fails the whole push (which neurons then starts again), so 1% per request is
 * already ~10% of pushes failing; uploads are cut mid-body more often (4%): the engine resumes those itself.
 * Stalls and Retry-After waits are bounded in number to keep the test's time bounded.
 */
const registryRules = (namespace: string, engineRate = 0.01): FaultRule[] => {
  const mine = new RegExp(`^/v2/${namespace}/`);
  const engine = /^docker\//;
  const ours = /^(?!docker\/)/;
  return [
    { kind: 'reset', rate: 0.04, path: mine, method: /^(PATCH|PUT)$/, userAgent: engine },
    { kind: '500', rate: engineRate, path: mine, userAgent: engine },
    { kind: '503', rate: engineRate, path: mine, userAgent: engine },
    { kind: '429', rate: engineRate, path: mine, userAgent: engine, retryAfterSeconds: 1, max: 5 },
    { kind: 'reset', rate: 0.1, path: mine, method: /^GET$/, userAgent: ours },
    // neurons' own uploads (catalogs as an OCI artifact): cut mid-body, and a manifest PUT whose answer is lost.
    { kind: 'reset', rate: 0.1, path: /\/blobs\/uploads\//, method: /^(PATCH|PUT)$/, userAgent: ours },
    { kind: 'reset', landed: true, rate: 0.2, path: /\/manifests\//, method: /^PUT$/, userAgent: ours },
    { kind: '500', rate: 0.08, path: mine, userAgent: ours },
    { kind: '503', rate: 0.08, path: mine, userAgent: ours },
    { kind: '429', rate: 0.08, path: mine, userAgent: ours, retryAfterSeconds: 1, max: 20 },
    { kind: 'stall', rate: 0.02, path: mine, stallMs: 1500, max: 3 },
  ];
};
const publishRules: FaultRule[] = [
  { kind: '500', rate: 0.1 },
  { kind: '503', rate: 0.1 },
  { kind: '429', rate: 0.1, retryAfterSeconds: 1, max: 5 },
  { kind: 'reset', rate: 0.1 },
  { kind: 'stall', rate: 0.05, stallMs: 1000, max: 2 },
];

/** A failed stage's output without its retry lines (the cause of a failure would otherwise be cut off by them). */
const failureOutput = (result: CliResult): string =>
  result.stdout +
  result.stderr
    .split('\n')
    .filter((line) => !line.startsWith('retry: '))
    .join('\n')
    .slice(-6000);

const kinds: FaultKind[] = ['500', '503', '429', 'reset', 'stall'];
interface Row {
  stage: string;
  requests: number;
  injected: Record<FaultKind, number>;
  retries: number;
  exit: number;
  seconds: number;
}

describe('every stage through injected faults', () => {
  let state: EnvironmentState;
  let registry: FaultProxy;
  let putServer: PutServer;
  let publish: FaultProxy;
  let repo: string;
  let work: string;
  let namespace: string;
  let env: NodeJS.ProcessEnv;
  const rows: Row[] = [];

  /** Runs `args` and records the proxies' counts during it. */
  const measured = async (stage: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> => {
    const before = [registry, publish].map((proxy) => ({
      requests: proxy.counts.requests,
      injected: { ...proxy.counts.injected },
    }));
    const started = Date.now();
    const result = await runCli(args, { ...env, ...extraEnv });
    const after = [registry, publish].map((proxy) => proxy.counts);
    rows.push({
      stage,
      requests: after.reduce((sum, counts, index) => sum + counts.requests - (before[index]?.requests ?? 0), 0),
      injected: Object.fromEntries(
        kinds.map((kind) => [
          kind,
          after.reduce((sum, counts, index) => sum + counts.injected[kind] - (before[index]?.injected[kind] ?? 0), 0),
        ]),
      ) as Record<FaultKind, number>,
      retries: (result.stderr.match(/retry: /g) ?? []).length,
      exit: result.status,
      seconds: Math.round((Date.now() - started) / 1000),
    });
    return result;
  };

  beforeAll(async () => {
    state = await environmentState();
    const caPem = await readFile(state.caFile, 'utf8');
    const ca = {
      certificatePem: caPem,
      keyPem: await readFile(path.join(path.dirname(state.caFile), 'ca.key'), 'utf8'),
    };
    namespace = uniqueNamespace('faults');
    registry = await startFaultProxy({
      upstream: `https://${state.registry.host}`,
      upstreamCa: caPem,
      ca,
      rules: registryRules(namespace),
      seed: 16,
      faultsInARow: 2,
    });
    putServer = await startPutServer();
    publish = await startFaultProxy({ upstream: putServer.url, ca, rules: publishRules, seed: 61, faultsInARow: 2 });
    repo = await copyFixture();
    work = await mkdtemp(path.join(tmpdir(), 'neurons-faults-'));
    // The engine's Docker client credentials for the proxy's host, for `update --pull`.
    const auth = Buffer.from(`${state.registry.username}:${state.registry.password}`).toString('base64');
    await writeFile(path.join(work, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
    // The registry through the proxy, base images included; the package index as the environment serves it.
    env = {
      ...environmentVariables(state, { registry: registry.host }),
      NEURONS_NAMESPACE: namespace,
      DOCKER_CONFIG: work,
    };
    const keys = await runCli(['keys', 'generate', '--out', work]);
    expect(keys.status, keys.stderr).toBe(0);
  });

  afterAll(async () => {
    console.log(
      [
        'stage | requests | ' +
          kinds.map((kind) => `${kind} injected`).join(' | ') +
          ' | retries logged | exit | seconds',
        ...rows.map(
          (row) =>
            `${row.stage} | ${row.requests} | ${kinds.map((kind) => row.injected[kind]).join(' | ')} | ${row.retries} | ${row.exit} | ${row.seconds}`,
        ),
      ].join('\n'),
    );
    await registry?.close();
    await publish?.close();
    await putServer?.close();
  });

  it('pipeline: every flavor built, pushed, verified and in the catalogs', async () => {
    const out = path.join(work, 'catalogs');
    const result = await measured('pipeline', [
      'pipeline',
      '--repo',
      repo,
      '--output',
      out,
      '--skip-tests',
      '--sign',
      path.join(work, 'neurons-index.key'),
    ]);
    expect(result.status, failureOutput(result)).toBe(0);
    const validated = await runCli(['validate', '--repo', repo, '--json']);
    const flavors = (
      JSON.parse(validated.stdout) as { workers: Array<{ flavors: Array<{ id: string }> }> }
    ).workers.flatMap((worker) => worker.flavors.map((flavor) => flavor.id));
    const index = JSON.parse(await readFile(path.join(out, 'index.json'), 'utf8')) as CatalogIndex;
    expect(new Set(index.flavors.map((flavor) => flavor.id))).toEqual(new Set(flavors));
    expect(index.flavors.every((flavor) => flavor.verified && flavor.digest?.startsWith('sha256:'))).toBe(true);
    expect(
      registry.counts.injected['500'] +
        registry.counts.injected['503'] +
        registry.counts.injected['429'] +
        registry.counts.injected.reset,
    ).toBeGreaterThan(0);
  });

  it('catalog --publish to an HTTPS server taking PUT: the publication lands whole', async () => {
    const out = path.join(work, 'catalogs');
    const result = await measured('catalog --publish', [
      'catalog',
      '--repo',
      repo,
      '--out',
      out,
      '--sign',
      path.join(work, 'neurons-index.key'),
      '--publish',
      publish.url,
    ]);
    expect(result.status, failureOutput(result)).toBe(0);
    for (const file of ['index.json', 'analyzers.json', 'responders.json', 'analyzers-stable.json']) {
      expect(putServer.files.get(file)?.toString(), file).toBe(await readFile(path.join(out, file), 'utf8'));
    }
  });

  it('catalog --publish oci://: the blobs of the artifact uploaded again after a cut, the manifest names the same files', async () => {
    const out = path.join(work, 'catalogs');
    const reference = `${registry.host}/${namespace}/catalogs:stable`;
    const result = await measured('catalog --publish oci://', [
      'catalog',
      '--repo',
      repo,
      '--out',
      out,
      '--sign',
      path.join(work, 'neurons-index.key'),
      '--publish',
      `oci://${reference}`,
    ]);
    expect(result.status, failureOutput(result)).toBe(0);
    const direct = registryClient(state);
    try {
      const artifact = await readArtifactManifest(direct, `${namespace}/catalogs`, 'stable');
      const index = layerTitled(artifact?.manifest, 'index.json');
      expect(index).toBeDefined();
      expect((await direct.readBlob(`${namespace}/catalogs`, index?.digest ?? '')).toString()).toBe(
        await readFile(path.join(out, 'index.json'), 'utf8'),
      );
    } finally {
      await direct.close();
    }
  });

  it('update --pull from that server: verified, and every image pulled through the faults', async () => {
    // Fresh bounds for this stage; the engine's pulls of images it has are a few requests each: 8% per kind.
    publish.setRules(publishRules);
    registry.setRules(registryRules(namespace, 0.08));
    const result = await measured('update --pull', [
      'update',
      '--catalog',
      publish.url,
      '--key',
      path.join(work, 'neurons-index.pub'),
      '--ca',
      state.caFile,
      '--state',
      path.join(work, 'state'),
      '--pull',
      '--json',
    ]);
    expect(result.status, failureOutput(result)).toBe(0);
    const report = JSON.parse(result.stdout) as { pulls?: Array<{ status: string }> };
    expect(report.pulls?.length).toBeGreaterThan(0);
    expect(report.pulls?.every((pull) => pull.status === 'pulled')).toBe(true);
  });
});
