import path from 'node:path';
import { UsageError } from '../errors/neurons-error.js';
import { registerSecret } from '../util/mask.js';
import { configFileName, type Config, type ConfigOverrides } from './config-types.js';
import { localEnvironment, localEnvironmentNotice } from './local-environment.js';
import { namespaceOverlay, overlayBaseImages, overlayGoProxy, parseChannel, resolvePlatforms } from './overlay.js';
import { readConfigAt } from './parse-config.js';
import { publicBaseImages } from './public-base-images.js';
import {
  fillDockerCredentials,
  packageIndexFromEnv,
  packageIndexFromFile,
  readTrustPems,
  registryOverride,
  resolveFileRegistries,
  trustEverywhere,
} from './resolve-config.js';
import { passwordIn } from './secrets.js';

export type { ResolvedRegistry } from '../registry/endpoint.js';
export type { Channel } from '../images/tags.js';
export {
  configFileName,
  type BaseRuntime,
  type Config,
  type ConfigOverrides,
  type PackageIndexSetting,
} from './config-types.js';
export { configuredCas } from './configured-cas.js';

/**
 * Resolves the configuration: the file (`neurons.json` at the repository root, or `--config`), then environment
 * variables, then flags. With no registry anywhere, the local environment recorded by `neurons env up` is the default
 * (registry, base images, package index); with a registry named, base images default to public ones and there is no
 * package index unless one is configured.
 *
 * The steps run in the order of the checks they make (the first problem found is the one reported): parsing the file
 * (`parse-config.ts`), overlaying environment variables and flags (`overlay.ts`), and reading what the values name,
 * files and credentials (`resolve-config.ts`).
 */
export async function loadConfig(
  repo: string,
  env: NodeJS.ProcessEnv,
  overrides: ConfigOverrides,
  options: { requireRegistry?: boolean } = {},
): Promise<Config> {
  const namespace = namespaceOverlay(overrides, env);
  const { file, found, fromFile } = await readConfigAt(repo, overrides.configFile);
  const sources = found ? [file] : [];
  const base = path.dirname(file);
  const source = { file, base };

  const registries = await resolveFileRegistries(fromFile.registries, env, source, namespace);
  const overridden = await registryOverride(overrides, env, namespace.value, registries, file);
  if (overridden) registries.splice(0, registries.length, overridden);
  let packageIndex = fromFile.packageIndex ? await packageIndexFromFile(fromFile.packageIndex, env, source) : undefined;
  const baseImages = overlayBaseImages(env, fromFile.baseImages);

  // The embedded default, only when nothing names a registry. A named registry takes nothing from the environment: a
  // machine where `neurons env up` once ran must not render `FROM 127.0.0.1:5443/...` for a production registry.
  const local = registries.length === 0 ? await localEnvironment(env, namespace.value) : undefined;
  if (local) {
    registries.push(local.registry);
    sources.push(`${local.stateFile} (registry)`);
  }
  const defaultBaseImages = local?.baseImages ?? publicBaseImages;
  baseImages.python ??= defaultBaseImages.python;
  baseImages.go ??= defaultBaseImages.go;
  baseImages.node ??= defaultBaseImages.node;
  packageIndex ??= local?.packageIndex;
  // NEURONS_PIP_INDEX_URL replaces whichever index this is.
  packageIndex = (await packageIndexFromEnv(env)) ?? packageIndex;
  const goProxy = overlayGoProxy(env, fromFile.goProxy);
  // A password written into an index or proxy URL is a secret like the others: masked in everything printed.
  for (const url of [packageIndex?.url, packageIndex?.extraUrl, goProxy])
    for (const secret of url ? passwordIn(url) : []) registerSecret(secret);
  const trustPems = await readTrustPems(fromFile.trust, env, source);
  trustEverywhere(registries, packageIndex, trustPems);
  await fillDockerCredentials(registries, env);
  // `requireRegistry: false` (local mode, `--local`): images stay in the engine, so no registry is needed.
  if (registries.length === 0 && options.requireRegistry !== false) {
    throw new UsageError({
      code: 'CONFIG_NO_REGISTRY',
      file,
      pointer: '/registries',
      message: 'no registry configured, and no local environment recorded',
      hint: `add "registries" to ${configFileName}, set NEURONS_REGISTRY, or run \`neurons env up\``,
    });
  }
  return {
    registries,
    baseImages,
    packageIndex,
    npmRegistry: env['NEURONS_NPM_REGISTRY'] ?? fromFile.npmRegistry,
    goProxy,
    templates: Object.fromEntries(
      Object.entries(fromFile.templates ?? {}).map(([id, file]) => [id, path.resolve(base, file)]),
    ),
    workers: fromFile.workers ?? {},
    trust: { caPems: trustPems, runtime: fromFile.trust?.runtime ?? false },
    platforms: resolvePlatforms(overrides.platforms, env['NEURONS_PLATFORMS'], fromFile.platforms),
    smoke: { emulated: fromFile.smoke?.emulated ?? 'per-dependency-layer' },
    assemble: fromFile.assemble ?? true,
    channel: parseChannel(overrides.channel ?? env['NEURONS_CHANNEL']) ?? fromFile.channel ?? 'stable',
    latest: fromFile.latest ?? false,
    output: path.resolve(
      overrides.output ?? env['NEURONS_OUTPUT'] ?? (fromFile.output ? path.resolve(base, fromFile.output) : 'catalogs'),
    ),
    sources,
    notice: local ? localEnvironmentNotice(local, env) : undefined,
  };
}
