import type { Config } from '../config/load-config.js';
import type { Discovery } from '../definitions/types.js';
import type { RegistryClientPool } from '../registry/client-pool.js';
import { DependencyResolver } from '../assemble/resolve-dependencies.js';
import { hostPythonVersion } from '../deps/pip.js';
import { pinBaseImages, type BaseImages } from '../render/pin-base-images.js';
import { readRepositorySource, type GitHistory, type RepositorySource } from '../render/source-info.js';
import { TemplateSet } from '../render/templates.js';
import type { BuildSettings } from './build-unit.js';
import type { RegistryAuth } from '../engine/docker-build.js';

export function registryAuth(config: Config): RegistryAuth {
  return Object.fromEntries(
    config.registries.flatMap((registry) => (registry.credentials ? [[registry.host, registry.credentials]] : [])),
  );
}

/** What every build of a run shares: templates, pinned base images, per-folder source revisions, credentials. */
export async function prepareBuildSettings(
  repo: string,
  discovery: Discovery,
  config: Config,
  /**
   * `provenance: false` skips reading each folder's last commit from the history: the revision and creation time
   * only label images and are not build inputs, so deciding what to rebuild does without them.
   */
  options: {
    offline: boolean;
    env: NodeJS.ProcessEnv;
    provenance?: boolean;
    /** The run's registry clients: base images in a configured registry are pinned through them. */
    clients?: RegistryClientPool;
    /** Whether the run pushes (default): images are assembled in the registry only when it does. */
    push?: boolean;
    /**
     * Local mode (`--local`): every image built by the engine, base images kept as tags (no registry is read; the
     * engine uses its own copy, pulled on first use).
     */
    local?: boolean;
    /** The base images pinned already (`pinBaseImages` with the same configuration, offline flag and clients). */
    pinned?: Promise<BaseImages>;
    /** The repository's history, read already (`readGitHistory` of the same repository). */
    history?: Promise<GitHistory | undefined>;
  },
): Promise<BuildSettings> {
  const local = options.local ?? false;
  const resolves = options.clients !== undefined && !options.offline && !local;
  // Python dependency layers' keys need the host's Python (see compilesBytecodeFor), and a launcher such as pyenv's
  // takes a good part of a second to answer: asked now, it answers while base images are pinned and folders hashed
  // (once their requests are out: starting a process holds this thread about 30 ms).
  if (resolves && discovery.workers.some((worker) => worker.runtime !== 'node'))
    setImmediate(() => void hostPythonVersion().catch(() => undefined));
  const [baseImages, source] = await Promise.all([
    options.pinned ?? pinBaseImages(config, options.offline || local, options.clients),
    options.provenance === false
      ? unknownSource()
      : readRepositorySource(
          repo,
          discovery.workers.map((worker) => worker.path),
          options.env,
          options.history,
        ),
  ]);
  const dependencies =
    options.clients && resolves ? new DependencyResolver(config, options.clients, options.env) : undefined;
  return {
    config,
    baseImages,
    templates: new TemplateSet(config.templates),
    source,
    registryAuth: registryAuth(config),
    assembly: { offline: options.offline, push: options.push ?? true, ...(local ? { local } : {}) },
    ...(dependencies ? { dependencies } : {}),
  };
}

function unknownSource(): Promise<RepositorySource> {
  return Promise.resolve({ folder: () => ({ revision: undefined, created: undefined, url: undefined }) });
}
