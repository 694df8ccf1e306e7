import type Docker from 'dockerode';
import type { Config } from '../config/load-config.js';
import type { WorkerFolder } from '../definitions/types.js';
import { findCachedLayer, storeCachedLayer } from '../deps/cache.js';
import { installDependencies } from '../deps/dependency-layer.js';
import { buildLayer } from '../oci/layer.js';
import { formatPlatform } from '../oci/platform.js';
import type { RegistryClient } from '../registry/client.js';
import type { BlobSource } from './blob-source.js';
import { installInContainer } from './container-deps.js';
import type { PlatformDependencies } from './resolve-dependencies.js';

export interface DependencyLayer {
  source: BlobSource;
  diffId: string;
  packages: Array<{ name: string; version: string }>;
  /**
   * Where the layer came from: found in the registry's cache, installed on this host, in a container of its platform,
   * or made earlier in this run for another folder with the same dependencies.
   */
  origin: 'cache' | 'host' | 'container' | 'run';
}

export interface DependencyContext {
  config: Config;
  docker: Docker;
  /** The registry the dependency cache lives in, and its repository (`<namespace>/neurons-cache`). */
  cache: { client: RegistryClient; host: string; repository: string };
  log: (line: string) => void;
  /** Layers being made in this run, by key: two folders with the same dependencies make one. */
  pending: Map<string, Promise<DependencyLayer>>;
  /**
   * Layers started ahead (startDependencyLayer), by key, not yet asked for by a folder: the first folder that asks
   * gets it as made for it (its origin), the next ones as made earlier in this run.
   */
  ahead: Map<string, Promise<DependencyLayer>>;
  /**
   * Cache writes in flight, by layer digest: the same files under two keys (pure-Python packages are the same on
   * every platform) are uploaded once, the second write finding the blob there.
   */
  storing: Map<string, Promise<void>>;
}

/** What the engine logs in with to pull from the base image's registry, when it is a configured one. */
function engineAuth(
  config: Config,
  baseName: string,
): { username: string; password: string; serveraddress: string } | undefined {
  const host = baseName.slice(0, baseName.indexOf('/'));
  const credentials = config.registries.find((registry) => registry.host === host)?.credentials;
  return credentials ? { ...credentials, serveraddress: host } : undefined;
}

/**
 * The dependency layer of one folder for one platform, or undefined when it has none. Found in the registry's cache by
 * its key (an ephemeral runner reuses what any machine built), else installed on this host without emulation
 * (exactly the resolved versions), else in a container of the platform (QEMU), and stored in the cache.
 */
export function dependencyLayer(
  context: DependencyContext,
  worker: WorkerFolder,
  dependencies: PlatformDependencies,
  baseName: string,
): Promise<DependencyLayer> | undefined {
  const { key } = dependencies;
  if (dependencies.resolution.kind === 'none' || !key) return undefined;
  const pending = context.pending.get(key);
  if (pending) return pending.then((layer) => ({ ...layer, origin: 'run' }));
  const made = context.ahead.get(key) ?? makeLayer(context, worker, dependencies, key, baseName);
  context.ahead.delete(key);
  context.pending.set(key, made);
  return made;
}

/**
 * Starts making a folder's dependency layer now, before the folder's turn: as soon as detection decides that a folder
 * is to be built, not when the folders ahead of it in the queue have started. The install of a cold run's first layer
 * is the longest wait of the run, and every folder on that layer waits for it. A failure is the folder's, when it asks.
 */
export function startDependencyLayer(
  context: DependencyContext,
  worker: WorkerFolder,
  dependencies: PlatformDependencies,
  baseName: string,
): void {
  const { key } = dependencies;
  if (dependencies.resolution.kind === 'none' || !key) return;
  if (context.pending.has(key) || context.ahead.has(key)) return;
  const made = makeLayer(context, worker, dependencies, key, baseName);
  // Handled when a folder asks for it; unasked (the run stopped first), its failure is nobody's.
  made.catch(() => undefined);
  context.ahead.set(key, made);
}

async function makeLayer(
  context: DependencyContext,
  worker: WorkerFolder,
  dependencies: PlatformDependencies,
  key: string,
  baseName: string,
): Promise<DependencyLayer> {
  const { cache, log } = context;
  const { image, resolution, request } = dependencies;
  const platform = formatPlatform(image.platform);
  const cached = await findCachedLayer(cache.client, cache.repository, key);
  if (cached) {
    log(
      `dependencies of ${worker.path} for ${platform}: from the registry cache (${cached.descriptor.digest.slice(7, 19)})`,
    );
    return {
      source: { descriptor: cached.descriptor, from: cache },
      diffId: cached.diffId,
      packages: cached.packages,
      origin: 'cache',
    };
  }
  const started = Date.now();
  let origin: DependencyLayer['origin'];
  let entries;
  let packages: Array<{ name: string; version: string }>;
  if (resolution.kind === 'resolved') {
    origin = 'host';
    entries = await installDependencies(request, resolution);
    packages = resolution.packages.map(({ name, version }) => ({ name, version }));
  } else {
    origin = 'container';
    log(
      `dependencies of ${worker.path} for ${platform}: installing in a ${platform} container (${resolution.kind === 'engine' ? resolution.reason : 'nothing to resolve on the host'})`,
    );
    const index = context.config.packageIndex;
    const installed = await installInContainer(context.docker, {
      runtime: request.runtime,
      platform: image.platform,
      image: `${baseName}@${image.manifestDigest}`,
      folder: request.folder,
      requirements: request.requirements,
      index,
      caFile: request.index?.caFile,
      npmRegistry: context.config.npmRegistry,
      directory: worker.directory,
      file: worker.path,
      auth: engineAuth(context.config, baseName),
    });
    entries = installed.entries;
    packages = installed.packages;
  }
  const layer = buildLayer(entries);
  log(
    `dependencies of ${worker.path} for ${platform}: ${packages.length} package(s) installed (${origin}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const before = context.storing.get(layer.digest) ?? Promise.resolve();
  const store = before.then(() => storeCachedLayer(cache.client, cache.repository, key, layer, packages));
  context.storing.set(
    layer.digest,
    store.catch(() => undefined),
  );
  try {
    await store;
  } catch (error) {
    // The cache only saves time: a run whose cache write failed still publishes correct images.
    log(`WARNING: dependency layer of ${worker.path} not cached: ${(error as Error).message}`);
  }
  return {
    source: {
      descriptor: { mediaType: layer.mediaType, digest: layer.digest, size: layer.size },
      bytes: layer.bytes,
      from: cache,
    },
    diffId: layer.diffId,
    packages,
    origin,
  };
}
