import type { ResolvedRegistry } from '../config/load-config.js';

/** `<registry>/<namespace>/<lower(name)>`, in Docker Hub's short form (`<namespace>/<name>`) for docker.io. */
export function imageRepository(registry: Pick<ResolvedRegistry, 'host' | 'namespace'>, workerName: string): string {
  const path = `${registry.namespace}/${workerName.toLowerCase()}`;
  return registry.host === 'docker.io' ? path : `${registry.host}/${path}`;
}

/** The repository path inside the registry API (no host), e.g. `neurons/hashcalc_md5`. */
export function registryPath(registry: Pick<ResolvedRegistry, 'namespace'>, workerName: string): string {
  return `${registry.namespace}/${workerName.toLowerCase()}`;
}
