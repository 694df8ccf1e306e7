import type { Config } from '../config/load-config.js';
import type { WorkerFolder } from '../definitions/types.js';
import { UsageError } from '../errors/neurons-error.js';
import {
  formatPlatform,
  hostPlatform,
  parsePlatform,
  samePlatform,
  uniquePlatforms,
  type Platform,
} from '../oci/platform.js';
import { workerSettings } from '../render/render-dockerfile.js';
import type { TemplateSet } from '../render/templates.js';

/**
 * How the images of one folder are made. `registry`: assembled in the registry from the base image's layers, a
 * dependency layer and the folder's layer, for every platform, without the engine. `engine`: built by `docker build`
 * (a worker's own Dockerfile, Go, a custom template), for the engine's own platform only.
 */
export type AssemblyMode =
  { mode: 'registry'; platforms: Platform[] } | { mode: 'engine'; platforms: Platform[]; reason: string };

/** The platforms asked for one worker: its own setting (`workers.<Dir>.platforms`), else the repository's. */
export function workerPlatforms(config: Config, worker: WorkerFolder): Platform[] {
  const own = workerSettings(config, worker).platforms;
  return own ? uniquePlatforms(own.map((text) => parsePlatform(text, worker.path, 'platforms'))) : config.platforms;
}

/** Decided from the configuration and the folder alone (no registry read): the plan says it before anything runs. */
export function assemblyMode(
  config: Config,
  worker: WorkerFolder,
  templates: TemplateSet,
  options: { offline: boolean; push: boolean; local?: boolean },
): AssemblyMode {
  // Local mode has no registry to assemble in: the engine builds every image, for its own platform only.
  if (options.local)
    return { mode: 'engine', platforms: [hostPlatform()], reason: '--local: the images stay in the engine' };
  const platforms = workerPlatforms(config, worker);
  const engine = (reason: string): AssemblyMode => {
    const host = hostPlatform();
    const own = platforms.filter((platform) => samePlatform(platform, host));
    if (own.length === 0) {
      throw new UsageError({
        code: 'PLATFORM_ENGINE_ONLY',
        file: worker.path,
        message: `${worker.path} is built by the engine (${reason}), which builds for ${formatPlatform(host)} only, not for ${platforms.map(formatPlatform).join(', ')}`,
        hint: `add ${formatPlatform(host)} to the worker's platforms (workers.${worker.directory}.platforms in neurons.json)`,
      });
    }
    return { mode: 'engine', platforms: own, reason };
  };
  if (!config.assemble) return engine('assemble is false in the configuration');
  if (worker.runtime !== 'python' && worker.runtime !== 'node')
    return engine(worker.runtime === 'custom' ? 'its own Dockerfile' : `the ${worker.runtime ?? 'unknown'} runtime`);
  const template = workerSettings(config, worker).template ?? worker.runtime;
  if (templates.templateId(template).endsWith('/custom') || templates.templateId('flavor').endsWith('/custom'))
    return engine('a template of the configuration');
  if (config.trust.runtime && config.trust.caPems.length > 0) return engine('trust.runtime installs CAs in the image');
  if (options.offline) return engine('--offline (the base image is not read from its registry)');
  if (!options.push) return engine('nothing is pushed (images are assembled in the registry)');
  return { mode: 'registry', platforms };
}

export function describeMode(mode: AssemblyMode): string {
  const platforms = mode.platforms.map(formatPlatform).join(', ');
  return mode.mode === 'registry'
    ? `assembled in the registry for ${platforms}`
    : `built by the engine for ${platforms} (${mode.reason})`;
}
