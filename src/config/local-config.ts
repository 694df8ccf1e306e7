import { defaultLocalNamespace, localRegistry } from '../images/local-images.js';
import { hostPlatform } from '../oci/platform.js';
import type { Config } from './load-config.js';

/**
 * The configuration of a local run: its one "registry" is the engine's image store (the namespace of the first
 * configured registry, else `local`), and its one platform the engine's.
 */
export function localConfig(config: Config, namespace: string | undefined): Config {
  return {
    ...config,
    registries: [localRegistry(namespace ?? config.registries[0]?.namespace ?? defaultLocalNamespace)],
    platforms: [hostPlatform()],
  };
}
