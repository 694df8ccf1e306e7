import { setTimeout as sleep } from 'node:timers/promises';
import {
  defaultRetryPolicy,
  isTransientError,
  isTransientStatus,
  nextDelay,
  retryAfterMs,
  type RetryPolicy,
} from './retry-policy.js';

/**
 * The transport's retry for clients that take a `fetch` (Octokit): GET and HEAD are sent again after a transient
 * status or connection failure, with the same backoff and `Retry-After`. Writes (POST, PATCH, DELETE) go once: the
 * GitHub release target has its own checks for a write whose answer was lost.
 */
export function retryingFetch(inner: typeof fetch, policy: RetryPolicy = defaultRetryPolicy): typeof fetch {
  const call = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]): Promise<Response> => {
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') return inner(input, init);
    for (let attempt = 1; ; attempt += 1) {
      let response: Response;
      try {
        response = await inner(input, init);
      } catch (error) {
        if (attempt >= policy.attempts || !isTransientError(error)) throw error;
        await sleep(nextDelay(policy, attempt, undefined));
        continue;
      }
      if (attempt >= policy.attempts || !isTransientStatus(response.status)) return response;
      await response.body?.cancel();
      await sleep(nextDelay(policy, attempt, retryAfterMs(response.headers.get('retry-after') ?? undefined)));
    }
  };
  return call as typeof fetch;
}
