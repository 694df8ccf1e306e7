import type { ResolvedRegistry } from '../registry/endpoint.js';
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

/** Whether a reference names an image of local mode (`localhost/...`), which only its engine's image store holds. */
export function isLocalImage(reference: string): boolean {
  return parseImageReference(reference).host === localImageHost;
}
