import type Docker from 'dockerode';
import path from 'node:path';
import { buildComponentsLabel, buildInputLabel, type BuildInputs } from '../inputs/build-inputs.js';
import { folderEntries } from '../inputs/context.js';
import type { TarEntry } from '../oci/tar.js';
import type { Config, ResolvedRegistry } from '../config/load-config.js';
import type { Flavor, WorkerFolder } from '../definitions/types.js';
import { NeuronsError } from '../errors/neurons-error.js';
import { parseImageReference } from '../images/reference.js';
import { buildImageConfig, buildImageIndex, buildImageManifest } from '../oci/image.js';
import { buildLayer } from '../oci/layer.js';
import { formatPlatform, type Platform } from '../oci/platform.js';
import { putManifest } from '../oci/write.js';
import type { ImageTarget } from '../plan/build-plan.js';
import type { RegistryClientPool } from '../registry/client-pool.js';
import type { RegistryClient } from '../registry/client.js';
import { pullScope, pushScope } from '../registry/blob-upload.js';
import type { Descriptor } from '../registry/manifest.js';
import type { SourceInfo } from '../render/source-info.js';
import type { BlobPlacer, BlobSource } from './blob-source.js';
import { dependencyLayer, type DependencyContext, type DependencyLayer } from './dependency-layers.js';
import type { UnitDependencies } from './resolve-dependencies.js';
import { flavorAnnotations, flavorEntrypointArray, flavorLabels, runtimeEnvironment } from './flavor-config.js';

const dependenciesLabel = 'io.neurons.dependencies';

/** What every assembly of a run shares. */
export interface AssemblyRun {
  config: Config;
  docker: Docker;
  clients: RegistryClientPool;
  placer: BlobPlacer;
  dependencies: DependencyContext;
  log: (line: string) => void;
  /** The run's budget of smoke-test containers at once (pull by digest, then the test), across folders and platforms. */
  tests: <T>(task: () => Promise<T>) => Promise<T>;
  /** Told each time a folder's images are in the engine and its tests start: the registry waits meanwhile. */
  testsStarted?: () => void;
  /** Pulls of images published before, started ahead for the tests (`warmEngine`), by reference. */
  warming?: Map<string, Promise<void>>;
}

/** One flavor of the unit to publish: its inputs, and per target the tags to put on it. */
export interface AssemblyFlavor {
  flavor: Flavor;
  inputs: BuildInputs;
  pushes: Array<{ target: ImageTarget; tags: string[] }>;
}

/** A flavor image assembled, its platforms stored by digest (not tagged yet): its index and one manifest per platform. */
export interface AssembledFlavor {
  flavor: Flavor;
  index: { bytes: Buffer; descriptor: Descriptor };
  /**
   * Per platform: the manifest's digest; what decides the image's filesystem (platform, layers, environment, user,
   * working directory: the same for every flavor of the folder) and its entry point, read off its configuration.
   */
  platforms: Array<{ platform: Platform; digest: string; filesystem: string; entrypoint: string[] }>;
  /** Where each dependency layer came from, per platform, for the log. */
  dependencies: Array<{ platform: Platform; origin: DependencyLayer['origin']; packages: number }>;
}

/** The worker folder as the template copies it: `/worker/<Dir>/`, definitions left out (the engine reads them from the catalog). */
async function workerEntries(repo: string, worker: WorkerFolder): Promise<TarEntry[]> {
  // Every definition, those of flavors left out for their errors too: they are not files of the worker.
  const definitions = new Set(worker.definitionFiles.map((file) => path.posix.basename(file)));
  const entries = await folderEntries(path.join(repo, worker.path), `worker/${worker.directory}`, worker.path, {
    exclude: definitions,
  });
  return [{ name: 'worker', type: 'directory', mode: 0o755 }, ...entries];
}

/** What the flavors of one unit share: the worker layer, and per platform its base image and dependency layer. */
interface UnitLayers {
  worker: WorkerFolder;
  options: { source: SourceInfo; templateId: string; created: string };
  runtime: 'node' | 'python';
  workerLayer: ReturnType<typeof buildLayer>;
  workerSource: BlobSource;
  perPlatform: Array<{
    image: UnitDependencies['platforms'][number]['image'];
    dependencies: Awaited<ReturnType<typeof dependencyLayer>>;
  }>;
  place: (source: BlobSource, where?: TargetRepository[]) => Promise<void>;
}

type TargetRepository = { registry: ResolvedRegistry; path: string };

/**
 * Assembles the images of one folder's flavors for every platform, and stores every blob and manifest by digest in
 * each target repository. Nothing is tagged here: the caller tags an image once its smoke test passed.
 */
export async function assembleUnit(
  run: AssemblyRun,
  options: {
    repo: string;
    worker: WorkerFolder;
    dependencies: UnitDependencies;
    source: SourceInfo;
    templateId: string;
    created: string;
  },
  flavors: AssemblyFlavor[],
): Promise<AssembledFlavor[]> {
  const { worker, dependencies: resolved } = options;
  const runtime = worker.runtime === 'node' ? 'node' : 'python';
  const baseHost = parseImageReference(resolved.baseName).host;
  const baseFrom = { client: resolved.baseClient, host: baseHost, repository: resolved.base.repository };
  const workerLayer = buildLayer(await workerEntries(options.repo, worker));
  const workerSource: BlobSource = {
    descriptor: { mediaType: workerLayer.mediaType, digest: workerLayer.digest, size: workerLayer.size },
    bytes: workerLayer.bytes,
  };
  const perPlatform = await Promise.all(
    resolved.platforms.map(async (platform) => ({
      image: platform.image,
      dependencies: await dependencyLayer(run.dependencies, worker, platform, resolved.baseName),
    })),
  );
  // Every target repository gets every blob first (base layers mounted, ours uploaded once per registry and mounted after).
  const repositories = repositoriesOf(flavors.flatMap(({ pushes }) => pushes));
  // The placer puts a blob on each registry once (mounted or uploaded); the other repositories mount it from there.
  const place = async (source: BlobSource, where = repositories): Promise<void> => {
    await Promise.all(
      where.map(({ registry, path: repository }) =>
        run.placer.place(run.clients.for(registry), registry.host, repository, source),
      ),
    );
  };
  const layerSources: BlobSource[] = [];
  for (const { image, dependencies } of perPlatform) {
    for (const layer of image.layers) layerSources.push({ descriptor: layer, from: baseFrom });
    if (dependencies) layerSources.push(dependencies.source);
  }
  layerSources.push(workerSource);
  const unique = [...new Map(layerSources.map((source) => [source.descriptor.digest, source])).values()];
  await authorizeUnit(run, repositories, unique);
  await Promise.all(unique.map((source) => place(source)));

  const unit: UnitLayers = { worker, options, runtime, workerLayer, workerSource, perPlatform, place };
  return Promise.all(flavors.map((flavor) => assembleFlavor(run, unit, flavor)));
}

/**
 * One token per registry for the unit's requests there: push to each of its repositories, pull from the repositories
 * its layers are mounted from (a base image's, the dependency cache), instead of one per repository and mount source.
 */
async function authorizeUnit(run: AssemblyRun, repositories: TargetRepository[], sources: BlobSource[]): Promise<void> {
  const registries = new Map(repositories.map(({ registry }) => [registry.host, registry]));
  await Promise.all(
    [...registries.values()].map((registry) =>
      run.clients
        .for(registry)
        .authorizeTogether([
          ...repositories.filter((target) => target.registry.host === registry.host).map(({ path }) => pushScope(path)),
          ...sources.flatMap(({ from }) => (from?.host === registry.host ? [pullScope(from.repository)] : [])),
        ]),
    ),
  );
}

function repositoriesOf(pushes: AssemblyFlavor['pushes']): TargetRepository[] {
  return [
    ...new Map(
      pushes.map(({ target }) => [
        `${target.registry.host}/${target.path}`,
        { registry: target.registry, path: target.path },
      ]),
    ).values(),
  ];
}

/** One flavor's image: a manifest per platform stored by digest in each of its target repositories, and their index. */
async function assembleFlavor(
  run: AssemblyRun,
  unit: UnitLayers,
  { flavor, inputs, pushes }: AssemblyFlavor,
): Promise<AssembledFlavor> {
  const { worker, options, perPlatform } = unit;
  const own = repositoriesOf(pushes);
  const labels = {
    ...flavorLabels(worker, flavor, options.source, options.templateId),
    [buildInputLabel]: inputs.digest,
    [buildComponentsLabel]: JSON.stringify(inputs.components),
  };
  const annotations = flavorAnnotations(labels);
  const manifests: Array<{
    descriptor: Descriptor;
    platform: Platform;
    bytes: Buffer;
    facts: ReturnType<typeof configFacts>;
  }> = [];
  for (const { image, dependencies } of perPlatform) {
    const config = platformConfig(unit, flavor, labels, image, dependencies);
    await unit.place({ descriptor: config.descriptor, bytes: config.bytes, fresh: true }, own);
    const manifest = buildImageManifest(
      config.descriptor,
      [...image.layers, ...config.added.map((layer) => layer.descriptor)],
      annotations,
    );
    manifests.push({
      descriptor: manifest.descriptor,
      platform: image.platform,
      bytes: manifest.bytes,
      facts: configFacts(config.bytes),
    });
  }
  // The index also records the build-input digest, so that a later run decides on the index alone (one read).
  const index = buildImageIndex(
    manifests.map(({ descriptor, platform }) => ({ descriptor, platform })),
    { ...annotations, [buildInputLabel]: inputs.digest },
  );
  // The platforms' manifests by digest (the smoke test pulls them); the index is stored by its first tag
  // (tagAssembled), which the registry also keeps under its digest: a flavor that fails its test leaves no index.
  for (const { registry, path: repository } of own) {
    const client = run.clients.for(registry);
    for (const manifest of manifests)
      await putManifest(client, repository, manifest.descriptor.digest, manifest.bytes, manifest.descriptor.mediaType);
  }
  return {
    flavor,
    index,
    platforms: manifests.map(({ descriptor, platform, facts }) => ({ platform, digest: descriptor.digest, ...facts })),
    dependencies: perPlatform.flatMap(({ image, dependencies }) =>
      dependencies
        ? [{ platform: image.platform, origin: dependencies.origin, packages: dependencies.packages.length }]
        : [],
    ),
  };
}

/** What an image configuration says of the image's filesystem (as a key) and of its entry point. */
function configFacts(bytes: Buffer): { filesystem: string; entrypoint: string[] } {
  const parsed = JSON.parse(bytes.toString('utf8')) as {
    os?: string;
    architecture?: string;
    variant?: string;
    rootfs?: { diff_ids?: string[] };
    config?: { Env?: string[]; User?: string; WorkingDir?: string; Entrypoint?: string[] | null };
  };
  const { config = {} } = parsed;
  const filesystem = JSON.stringify([
    parsed.os,
    parsed.architecture,
    parsed.variant ?? null,
    parsed.rootfs?.diff_ids ?? [],
    config.Env ?? [],
    config.User ?? '',
    config.WorkingDir ?? '',
  ]);
  return { filesystem, entrypoint: config.Entrypoint ?? [] };
}

/** The image configuration of a flavor for one platform: the base's, with the dependency and worker layers added. */
function platformConfig(
  { worker, options, runtime, workerLayer, workerSource }: UnitLayers,
  flavor: Flavor,
  labels: Record<string, string>,
  image: UnitLayers['perPlatform'][number]['image'],
  dependencies: UnitLayers['perPlatform'][number]['dependencies'],
): ReturnType<typeof buildImageConfig> & { added: Array<{ diffId: string; descriptor: Descriptor; history: string }> } {
  const added = [
    ...(dependencies
      ? [
          {
            diffId: dependencies.diffId,
            descriptor: dependencies.source.descriptor,
            history: `dependencies (${dependencies.packages.length} packages)`,
          },
        ]
      : []),
    {
      diffId: workerLayer.diffId,
      descriptor: workerSource.descriptor,
      history: `COPY worker/ /worker/${worker.directory}/`,
    },
  ];
  const config = buildImageConfig({
    base: image.config,
    diffIds: added.map((layer) => layer.diffId),
    env: runtimeEnvironment(runtime),
    entrypoint: flavorEntrypointArray(worker, flavor),
    workingDir: '/worker',
    labels: {
      ...labels,
      ...(dependencies
        ? {
            [dependenciesLabel]: JSON.stringify(dependencies.packages.map((item) => `${item.name}==${item.version}`)),
          }
        : {}),
    },
    created: options.created,
    history: added.map((layer) => `neurons: ${layer.history}`),
  });
  return { ...config, added };
}

/** Puts the index under each tag, in every target: the last step, after the smoke test. */
export async function tagAssembled(
  run: AssemblyRun,
  assembled: AssembledFlavor,
  pushes: Array<{ target: ImageTarget; tags: string[] }>,
): Promise<Array<{ reference: string; digest: string }>> {
  const images: Array<{ reference: string; digest: string }> = [];
  for (const { target, tags } of pushes) {
    const client = run.clients.for(target.registry);
    for (const tag of tags) {
      const digest = await putManifest(
        client,
        target.path,
        tag,
        assembled.index.bytes,
        assembled.index.descriptor.mediaType,
      );
      if (digest !== assembled.index.descriptor.digest) {
        throw new NeuronsError({
          code: 'PUSH_UNVERIFIED',
          file: assembled.flavor.file,
          message: `${target.repository}:${tag} was stored with digest ${digest}, not ${assembled.index.descriptor.digest}`,
          hint: 'check the registry (a proxy in front of it may rewrite manifests)',
        });
      }
      images.push({ reference: `${target.repository}:${tag}`, digest });
    }
  }
  return images;
}
