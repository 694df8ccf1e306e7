import { UsageError } from '../errors/neurons-error.js';
import type { Channel } from '../images/tags.js';
import { defaultPlatforms, parsePlatform, uniquePlatforms, type Platform } from '../oci/platform.js';
import { checkBaseImage, checkNamespaceOverride } from './check-values.js';
import type { BaseRuntime, ConfigOverrides } from './config-types.js';
import type { ConfigFile } from './schema.js';

/** `--namespace`, else NEURONS_NAMESPACE, checked, with the name of where it came from. */
export function namespaceOverlay(
  overrides: ConfigOverrides,
  env: NodeJS.ProcessEnv,
): { value: string | undefined; origin: string } {
  // Lower-cased wherever it comes from: a CI's owner name (`TheHive-Project`) is not a valid repository path as is.
  const value = (overrides.namespace ?? env['NEURONS_NAMESPACE'])?.toLowerCase();
  const origin = overrides.namespace !== undefined ? '--namespace' : 'NEURONS_NAMESPACE';
  checkNamespaceOverride(value, origin);
  return { value, origin };
}

/** NEURONS_BASE_* over the file's base images; what neither names is filled in later, from the defaults. */
export function overlayBaseImages(
  env: NodeJS.ProcessEnv,
  fromFile: ConfigFile['baseImages'],
): Record<BaseRuntime, string | undefined> {
  const baseImages: Record<BaseRuntime, string | undefined> = {
    python: env['NEURONS_BASE_PYTHON'] ?? fromFile?.python,
    go: env['NEURONS_BASE_GO'] ?? fromFile?.go,
    node: env['NEURONS_BASE_NODE'] ?? fromFile?.node,
  };
  for (const variable of ['NEURONS_BASE_PYTHON', 'NEURONS_BASE_GO', 'NEURONS_BASE_NODE']) {
    const value = env[variable];
    if (value !== undefined) checkBaseImage(value, { origin: variable });
  }
  return baseImages;
}

/** NEURONS_GOPROXY over the file's `goProxy`. */
export function overlayGoProxy(env: NodeJS.ProcessEnv, fromFile: string | undefined): string | undefined {
  // Empty is unset, as for a shell's `NEURONS_GOPROXY= neurons build`.
  const goProxyVariable = env['NEURONS_GOPROXY'] || undefined;
  const goProxy = goProxyVariable ?? fromFile;
  if (goProxyVariable !== undefined && !/^https?:\/\/[^\s,|]+$/.test(goProxyVariable)) {
    throw new UsageError({
      code: 'CONFIG_INVALID',
      file: 'NEURONS_GOPROXY',
      message: 'NEURONS_GOPROXY is not an http(s) URL',
      hint: 'give the URL of one Go module proxy, e.g. https://user:password@goproxy.example.org/',
    });
  }
  return goProxy;
}

export function parseChannel(value: string | undefined): Channel | undefined {
  if (value === undefined) return undefined;
  if (value === 'stable' || value === 'devel') return value;
  throw new UsageError({ code: 'CONFIG_CHANNEL', message: `unknown channel '${value}'`, hint: 'use stable or devel' });
}

/** `--platform` wins over NEURONS_PLATFORMS, which wins over the file (already checked), then the default. */
export function resolvePlatforms(
  flags: string[] | undefined,
  variable: string | undefined,
  fromFile: string[] | undefined,
): Platform[] {
  const split = (values: string[]): string[] =>
    values
      .flatMap((value) => value.split(','))
      .map((value) => value.trim())
      .filter(Boolean);
  if (flags && flags.length > 0) return uniquePlatforms(split(flags).map((text) => parsePlatform(text, '--platform')));
  if (variable) return uniquePlatforms(split([variable]).map((text) => parsePlatform(text, 'NEURONS_PLATFORMS')));
  if (fromFile) return uniquePlatforms(fromFile.map((text) => parsePlatform(text)));
  return defaultPlatforms;
}
