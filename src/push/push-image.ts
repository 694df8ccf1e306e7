import type Docker from 'dockerode';
import type { ResolvedRegistry } from '../config/load-config.js';
import { NeuronsError } from '../errors/neurons-error.js';
import { followProgress } from '../engine/docker-build.js';
import { retryEngineTransfer } from '../transport/engine-failure.js';
import type { RetryPolicy } from '../transport/retry-policy.js';
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
  /** Pushes it took (1 when the first succeeded). */
  attempts: number;
}

/**
 * Pushes `repository:tag` through the engine with this registry's credentials; returns the manifest digest. A push is
 * content-addressed (layers by digest, then the manifest under its tag), so one that failed on a transient error is
 * pushed again as a whole: the engine skips the layers that landed.
 */
export async function pushImage(
  docker: Docker,
  registry: ResolvedRegistry,
  repository: string,
  tag: string,
  options: { log?: (line: string) => void; policy?: RetryPolicy } = {},
): Promise<PushResult> {
  const reference = `${repository}:${tag}`;
  let pushed;
  try {
    pushed = await retryEngineTransfer(
      `push of ${reference}`,
      () => pushOnce(docker, registry, reference, tag),
      options,
    );
  } catch (error) {
    const attempts = (error as { attempts?: number }).attempts ?? 1;
    throw new NeuronsError({
      code: 'PUSH_FAILED',
      message: `push of ${reference} failed${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${(error as Error).message}`,
      hint: `check the credentials and the engine's trust for ${registry.host} (/etc/docker/certs.d/${registry.host}/ca.crt)`,
    });
  }
  const events = pushed.value;
  return {
    reference,
    digest: events.find((event) => event.aux?.Digest)?.aux?.Digest ?? '',
    layersSkipped: events.filter((event) => event.status === 'Layer already exists').length,
    layersPushed: events.filter((event) => event.status === 'Pushed').length,
    attempts: pushed.attempts,
  };
}

/** One push; throws the engine's (masked) words when it failed. */
async function pushOnce(
  docker: Docker,
  registry: ResolvedRegistry,
  reference: string,
  tag: string,
): Promise<PushEvent[]> {
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
  if (failure) throw new Error(maskSecrets(failure.errorDetail?.message ?? failure.error ?? 'unknown error'));
  return events;
}
