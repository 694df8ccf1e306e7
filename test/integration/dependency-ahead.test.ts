import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dependencyLayer, startDependencyLayer, type DependencyContext } from '../../src/assemble/dependency-layers.js';
import type { PlatformDependencies } from '../../src/assemble/resolve-dependencies.js';
import { discoverRepository } from '../../src/definitions/discover.js';
import type { WorkerFolder } from '../../src/definitions/types.js';
import { storeCachedLayer } from '../../src/deps/cache.js';
import { buildLayer } from '../../src/oci/layer.js';
import { parsePlatform } from '../../src/oci/platform.js';
import type { RegistryClient } from '../../src/registry/client.js';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import { testConfig } from '../helpers/config.js';
import { environmentState, fixture, registryClient, registryLog } from '../helpers/environment.js';

// Detection starts the dependency layer of a folder it decided to build (the install of a cold run's first layer is
// the longest wait of the run); the folder, when its turn comes, takes that layer as made for it.
describe('a dependency layer started ahead', () => {
  let state: EnvironmentState;
  let client: RegistryClient;
  let workers: WorkerFolder[] = [];
  const repository = `neurons/ahead-test-${randomBytes(4).toString('hex')}`;
  const key = `sha256:${randomBytes(32).toString('hex')}`;
  const packages = [{ name: 'cortexlite', version: '1.0.0' }];
  const layer = buildLayer([{ name: 'opt/venv/marker', type: 'file', mode: 0o644, data: Buffer.from(key) }]);

  beforeAll(async () => {
    state = await environmentState();
    client = registryClient(state);
    workers = (await discoverRepository(fixture, { definitionsOnly: true })).workers;
    await storeCachedLayer(client, repository, key, layer, packages);
  });
  afterAll(async () => {
    await client.close();
  });

  function context(lines: string[]): DependencyContext {
    return {
      config: testConfig,
      docker: new Docker(),
      cache: { client, host: state.registry.host, repository },
      log: (line) => lines.push(line),
      pending: new Map(),
      ahead: new Map(),
      storing: new Map(),
    };
  }

  const dependencies: PlatformDependencies = {
    image: {
      platform: parsePlatform('linux/amd64'),
      manifestDigest: `sha256:${'0'.repeat(64)}`,
      manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
      layers: [],
    },
    resolution: { kind: 'resolved', key, packages },
    key,
    request: { runtime: 'python', platform: parsePlatform('linux/amd64'), baseDigest: '', folder: fixture, file: '' },
  };

  it('is found once, given to the first folder as made for it and to the next as made earlier in this run', async () => {
    const [first, second] = workers;
    if (!first || !second) throw new Error('the fixture has fewer than two workers');
    const lines: string[] = [];
    const run = context(lines);
    const offset = await registryLog.size(state);
    startDependencyLayer(run, first, dependencies, 'base/python');
    // Started twice (two folders decided with the same layer): one lookup.
    startDependencyLayer(run, second, dependencies, 'base/python');
    const mine = await dependencyLayer(run, second, dependencies, 'base/python');
    const theirs = await dependencyLayer(run, first, dependencies, 'base/python');
    expect(mine?.origin).toBe('cache');
    expect(mine?.source.descriptor.digest).toBe(layer.digest);
    expect(theirs?.origin).toBe('run');
    expect(theirs?.source.descriptor.digest).toBe(layer.digest);
    expect(lines.filter((line) => line.includes('from the registry cache'))).toEqual([
      `dependencies of ${first.path} for linux/amd64: from the registry cache (${layer.digest.slice(7, 19)})`,
    ]);
    const reads = (await registryLog.since(state, offset))
      .split('\n')
      .filter((line) => line.includes(`/v2/${repository}/manifests/`));
    expect(reads).toHaveLength(1);
  });

  it('keeps a failure for the folder that asks for the layer', async () => {
    const [first] = workers;
    if (!first) throw new Error('the fixture has no worker');
    const missing = `sha256:${randomBytes(32).toString('hex')}`;
    const broken: PlatformDependencies = {
      ...dependencies,
      key: missing,
      // Resolved by an engine install that cannot run: no such base image in the registry.
      resolution: { kind: 'engine', reason: 'test' },
      request: { ...dependencies.request, requirements: 'requirements.txt' },
    };
    const run = context([]);
    startDependencyLayer(
      run,
      first,
      broken,
      `${state.registry.host}/neurons/no-such-base-${randomBytes(4).toString('hex')}`,
    );
    await expect(
      dependencyLayer(run, first, broken, `${state.registry.host}/neurons/no-such-base`),
    ).rejects.toBeDefined();
  });
});
