import type { Config } from '../config/load-config.js';
import type { Discovery } from '../definitions/types.js';
import { pinBaseImages } from '../render/pin-base-images.js';
import { readRepositorySource } from '../render/source-info.js';
import { TemplateSet } from '../render/templates.js';
import type { BuildSettings } from './build-unit.js';
import type { RegistryAuth } from './docker-build.js';

export function registryAuth(config: Config): RegistryAuth {
  return Object.fromEntries(config.registries.flatMap((registry) => (registry.credentials ? [[registry.host, registry.credentials]] : [])));
}

/** What every build of a run shares: templates, pinned base images, per-folder source revisions, credentials. */
export async function prepareBuildSettings(repo: string, discovery: Discovery, config: Config, options: { offline: boolean; env: NodeJS.ProcessEnv }): Promise<BuildSettings> {
  const [baseImages, source] = await Promise.all([
    pinBaseImages(config, options.offline),
    readRepositorySource(repo, discovery.workers.map((worker) => worker.path), options.env),
  ]);
  return { config, baseImages, templates: new TemplateSet(config.templates), source, registryAuth: registryAuth(config) };
}
