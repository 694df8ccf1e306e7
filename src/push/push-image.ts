import type Docker from 'dockerode';
import type { ResolvedRegistry } from '../config/load-config.js';
import { NeuronsError } from '../errors/neurons-error.js';
import { followProgress } from '../build/docker-build.js';
import { maskSecrets } from '../util/mask.js';

interface PushEvent {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

export interface PushResult {
  reference: string;
  digest: string;
  /** Layers the registry already had (not uploaded again). */
  layersSkipped: number;
  layersPushed: number;
}

/** Pushes `repository:tag` through the engine with this registry's credentials; returns the manifest digest. */
export async function pushImage(docker: Docker, registry: ResolvedRegistry, repository: string, tag: string): Promise<PushResult> {
  const reference = `${repository}:${tag}`;
  const authconfig = registry.credentials
    ? { username: registry.credentials.username, password: registry.credentials.password, serveraddress: registry.host }
    : {};
  let events: PushEvent[];
  try {
    const stream = await docker.getImage(reference).push({ tag, authconfig });
    events = await followProgress<PushEvent>(docker, stream);
  } catch (error) {
    events = [{ error: (error as Error).message }];
  }
  const failure = events.find((event) => event.error);
  if (failure) {
    throw new NeuronsError({
      code: 'PUSH_FAILED',
      message: `push of ${reference} failed: ${maskSecrets(failure.errorDetail?.message ?? failure.error ?? 'unknown error')}`,
      hint: `check the credentials and the engine's trust for ${registry.host} (/etc/docker/certs.d/${registry.host}/ca.crt)`,
    });
  }
  const digest = events.find((event) => event.aux?.Digest)?.aux?.Digest ?? '';
  return {
    reference,
    digest,
    layersSkipped: events.filter((event) => event.status === 'Layer already exists').length,
    layersPushed: events.filter((event) => event.status === 'Pushed').length,
  };
}
