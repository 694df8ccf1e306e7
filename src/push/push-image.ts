import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import type { ResolvedRegistry } from '../config/load-config.js';
import { NeuronsError } from '../errors/neurons-error.js';
import { followProgress } from '../build/docker-build.js';
import { backoffDelay, defaultRetryPolicy, type RetryPolicy } from '../transport/retry-policy.js';
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
 * What the engine says when the registry or the path to it failed for a moment (the engine's own words, from the
 * Go distribution client): a 5xx or 429, a reset, a timeout, a session the registry lost. Credentials, permissions
 * and TLS trust are not among them: pushing again would fail the same way.
 */
const transientPushFailure = /\b(50[0234]|429)\b|too ?many ?requests|internal server error|service unavailable|bad gateway|gateway time-?out|connection reset|broken pipe|unexpected EOF|\bEOF\b|i\/o timeout|timeout awaiting|TLS handshake timeout|blob upload unknown|client connection lost|server closed/i;

export const isTransientPushFailure = (message: string): boolean => transientPushFailure.test(message) && !/unauthorized|denied|x509|certificate/i.test(message);

/**
 * Pushes `repository:tag` through the engine with this registry's credentials; returns the manifest digest. A push is
 * content-addressed (layers by digest, then the manifest under its tag), so one that failed on a transient error is
 * pushed again as a whole: the engine skips the layers that landed.
 */
export async function pushImage(docker: Docker, registry: ResolvedRegistry, repository: string, tag: string, options: { log?: (line: string) => void; policy?: RetryPolicy } = {}): Promise<PushResult> {
  const policy = options.policy ?? defaultRetryPolicy;
  const reference = `${repository}:${tag}`;
  for (let attempt = 1; ; attempt += 1) {
    const events = await pushOnce(docker, registry, reference, tag);
    const failure = events.find((event) => event.error);
    if (!failure) {
      return {
        reference,
        digest: events.find((event) => event.aux?.Digest)?.aux?.Digest ?? '',
        layersSkipped: events.filter((event) => event.status === 'Layer already exists').length,
        layersPushed: events.filter((event) => event.status === 'Pushed').length,
        attempts: attempt,
      };
    }
    const message = maskSecrets(failure.errorDetail?.message ?? failure.error ?? 'unknown error');
    if (attempt < policy.attempts && isTransientPushFailure(message)) {
      const delayMs = backoffDelay(policy, attempt);
      options.log?.(`retry: push of ${reference} failed (${message}, attempt ${attempt}); again in ${delayMs} ms`);
      await sleep(delayMs);
      continue;
    }
    throw new NeuronsError({
      code: 'PUSH_FAILED',
      message: `push of ${reference} failed${attempt > 1 ? ` after ${attempt} attempts` : ''}: ${message}`,
      hint: `check the credentials and the engine's trust for ${registry.host} (/etc/docker/certs.d/${registry.host}/ca.crt)`,
    });
  }
}

async function pushOnce(docker: Docker, registry: ResolvedRegistry, reference: string, tag: string): Promise<PushEvent[]> {
  const authconfig = registry.credentials
    ? { username: registry.credentials.username, password: registry.credentials.password, serveraddress: registry.host }
    : {};
  try {
    const stream = await docker.getImage(reference).push({ tag, authconfig });
    return await followProgress<PushEvent>(docker, stream);
  } catch (error) {
    return [{ error: (error as Error).message }];
  }
}
