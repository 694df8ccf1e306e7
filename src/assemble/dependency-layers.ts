import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { indexIdentity } from '../build/build-inputs.js';
import type { Config } from '../config/load-config.js';
import type { WorkerFolder } from '../definitions/types.js';
import { findCachedLayer, storeCachedLayer } from '../deps/cache.js';
import { installDependencies, resolveDependencies, type DependencyRequest } from '../deps/dependency-layer.js';
import { pythonHomeOf, pythonVersionOf } from '../deps/python-platform.js';
import type { BasePlatformImage } from '../oci/base-image.js';
import { buildLayer } from '../oci/layer.js';
import { formatPlatform } from '../oci/platform.js';
import type { RegistryClient } from '../registry/client.js';
import type { BlobSource } from './blob-source.js';
import { installInContainer } from './container-deps.js';

export interface DependencyLayer {
  source: BlobSource;
  diffId: string;
  packages: Array<{ name: string; version: string }>;
  /** Where the layer came from: found in the registry's cache, installed on this host, or in a container of its platform. */
  origin: 'cache' | 'host' | 'container';
}

export interface DependencyContext {
  config: Config;
  docker: Docker;
  /** The registry the dependency cache lives in, and its repository (`<namespace>/neurons-cache`). */
  cache: { client: RegistryClient; host: string; repository: string };
  log: (line: string) => void;
  /** Layers being made in this run, by key: two folders with the same dependencies make one. */
  pending: Map<string, Promise<DependencyLayer | undefined>>;
}

const sha256 = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** What a folder's dependencies are declared in: the requirements file (Python), the lockfile (Node). */
async function dependencyFiles(folder: string, worker: WorkerFolder, requirements: string | undefined): Promise<Record<string, string> | undefined> {
  if (worker.runtime === 'python') {
    if (!requirements) return undefined;
    return { requirements: sha256(await readFile(path.join(folder, requirements))) };
  }
  const manifest = path.join(folder, 'package.json');
  if (!existsSync(manifest)) return undefined;
  const parsed = JSON.parse(await readFile(manifest, 'utf8')) as { dependencies?: object };
  if (Object.keys(parsed.dependencies ?? {}).length === 0) return undefined;
  const lock = ['package-lock.json', 'npm-shrinkwrap.json'].find((name) => existsSync(path.join(folder, name)));
  return { 'package.json': sha256(await readFile(manifest)), ...(lock ? { lock: sha256(await readFile(path.join(folder, lock))) } : {}) };
}

/**
 * The dependency layer of one folder for one platform, or undefined when it has no dependencies. Keyed by the
 * runtime, the platform, the base image and the files that declare the dependencies: found in the registry's cache by
 * that key (an ephemeral runner reuses what any machine built), else installed on this host without emulation
 * (wheels, `npm ci --os --cpu`), else in a container of the platform (QEMU), and stored in the cache.
 */
export async function dependencyLayer(context: DependencyContext, repo: string, worker: WorkerFolder, requirements: string | undefined, image: BasePlatformImage, baseName: string): Promise<DependencyLayer | undefined> {
  const folder = path.join(repo, worker.path);
  const runtime = worker.runtime === 'node' ? 'node' : 'python';
  const files = await dependencyFiles(folder, worker, requirements);
  if (!files) return undefined;
  const index = context.config.packageIndex;
  const key = sha256(
    JSON.stringify({
      layout: 'neurons-dependencies/1',
      runtime,
      platform: formatPlatform(image.platform),
      base: image.manifestDigest,
      files,
      index: runtime === 'python' ? [indexIdentity(index?.url ?? ''), indexIdentity(index?.extraUrl ?? '')] : [indexIdentity(context.config.npmRegistry ?? '')],
    }),
  );
  let pending = context.pending.get(key);
  if (!pending) {
    pending = makeLayer(context, { key, runtime, folder, worker, requirements, image, baseName });
    context.pending.set(key, pending);
  }
  return pending;
}

async function makeLayer(
  context: DependencyContext,
  job: { key: string; runtime: 'python' | 'node'; folder: string; worker: WorkerFolder; requirements: string | undefined; image: BasePlatformImage; baseName: string },
): Promise<DependencyLayer | undefined> {
  const { cache, log } = context;
  const platform = formatPlatform(job.image.platform);
  const cached = await findCachedLayer(cache.client, cache.repository, job.key);
  if (cached) {
    log(`dependencies of ${job.worker.path} for ${platform}: from the registry cache (${cached.descriptor.digest.slice(7, 19)})`);
    return { source: { descriptor: cached.descriptor, from: cache }, diffId: cached.diffId, packages: cached.packages, origin: 'cache' };
  }
  const started = Date.now();
  const scratch = await mkdtemp(path.join(tmpdir(), 'neurons-deps-'));
  try {
    const index = context.config.packageIndex;
    let caFile: string | undefined;
    if (index?.caPem) {
      caFile = path.join(scratch, 'index-ca.pem');
      await writeFile(caFile, index.caPem);
    }
    const pythonVersion = job.runtime === 'python' ? pythonVersionOf(job.image.config) : undefined;
    const pythonHome = job.runtime === 'python' ? pythonHomeOf(job.image.config) : undefined;
    const request: DependencyRequest = {
      runtime: job.runtime,
      platform: job.image.platform,
      baseDigest: job.image.manifestDigest,
      folder: job.folder,
      ...(job.requirements ? { requirements: job.requirements } : {}),
      ...(pythonVersion ? { pythonVersion } : {}),
      ...(pythonHome ? { pythonHome } : {}),
      ...(index
        ? { index: { url: index.url, ...(index.extraUrl ? { extraUrl: index.extraUrl } : {}), ...(index.credentials ? { username: index.credentials.username, password: index.credentials.password } : {}), ...(caFile ? { caFile } : {}) } }
        : {}),
      ...(context.config.npmRegistry ? { npmRegistry: context.config.npmRegistry } : {}),
      file: job.worker.path,
    };
    let origin: DependencyLayer['origin'] = 'host';
    let entries;
    let packages: Array<{ name: string; version: string }> = [];
    const resolution = job.runtime === 'python' && !pythonVersion ? { kind: 'engine' as const, reason: 'the base image does not say its Python version' } : await resolveDependencies(request);
    if (resolution.kind === 'none') return undefined;
    if (resolution.kind === 'resolved') {
      entries = await installDependencies(request, resolution);
      packages = resolution.packages;
    } else {
      const { reason } = resolution;
      log(`dependencies of ${job.worker.path} for ${platform}: installed in a ${platform} container (${reason})`);
      origin = 'container';
      const installed = await installInContainer(context.docker, { runtime: job.runtime, platform: job.image.platform, image: `${job.baseName}@${job.image.manifestDigest}`, folder: job.folder, requirements: job.requirements, index, caFile, npmRegistry: context.config.npmRegistry, directory: job.worker.directory, file: job.worker.path });
      entries = installed.entries;
      packages = installed.packages;
    }
    const layer = buildLayer(entries);
    log(`dependencies of ${job.worker.path} for ${platform}: ${packages.length} package(s) installed (${origin}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    try {
      await storeCachedLayer(cache.client, cache.repository, job.key, layer, packages);
    } catch (error) {
      // The cache only saves time: a run whose cache write failed still publishes correct images.
      log(`WARNING: dependency layer of ${job.worker.path} not cached: ${(error as Error).message}`);
    }
    return { source: { descriptor: { mediaType: layer.mediaType, digest: layer.digest, size: layer.size }, bytes: layer.bytes, from: cache }, diffId: layer.diffId, packages, origin };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
