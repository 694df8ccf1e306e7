import type { Config, ResolvedRegistry } from '../config/load-config.js';
import { hostPlatform } from '../oci/platform.js';
import { parseImageReference } from './reference.js';

/**
 * The host part of local-mode references (`--local`): `localhost/<namespace>/<name>:<tag>`. Never pushed anywhere;
 * Cortex with an empty `docker.imageRegistryPrefix` runs such a reference from its engine's image store.
 */
export const localImageHost = 'localhost';

/** The namespace of local images when neither `--namespace`, NEURONS_NAMESPACE nor a configured registry names one. */
export const defaultLocalNamespace = 'local';

/** The stand-in registry of local mode: images are named after it and never leave the engine. */
export function localRegistry(namespace: string): ResolvedRegistry {
  return { host: localImageHost, namespace, credentials: undefined, ca: [], plainHttp: false, insecure: false };
}

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

/** Whether a reference names an image of local mode (`localhost/...`), which only its engine's image store holds. */
export function isLocalImage(reference: string): boolean {
  return parseImageReference(reference).host === localImageHost;
}
