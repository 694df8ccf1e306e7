import type { ResolvedRegistry } from '../registry/endpoint.js';

/**
 * The last component of a worker's image path: its name lower-cased (references allow no capitals). Names that differ
 * only in case therefore share an image; validation refuses that (`DEF_IMAGE_NAME_COLLISION`).
 */
export function imageNameOf(workerName: string): string {
  return workerName.toLowerCase();
}

/** `<registry>/<namespace>/<lower(name)>`, in Docker Hub's short form (`<namespace>/<name>`) for docker.io. */
export function imageRepository(registry: Pick<ResolvedRegistry, 'host' | 'namespace'>, workerName: string): string {
  const path = `${registry.namespace}/${imageNameOf(workerName)}`;
  return registry.host === 'docker.io' ? path : `${registry.host}/${path}`;
}

/** The repository path inside the registry API (no host), e.g. `neurons/hashcalc_md5`. */
export function registryPath(registry: Pick<ResolvedRegistry, 'namespace'>, workerName: string): string {
  return `${registry.namespace}/${imageNameOf(workerName)}`;
}
