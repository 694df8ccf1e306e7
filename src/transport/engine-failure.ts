import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, defaultRetryPolicy, type RetryPolicy } from './retry-policy.js';

/**
 * What the Docker engine says when the registry or the path to it failed for a moment (its own words, from the Go
 * distribution client): a 5xx or 429, a reset, a timeout, a session the registry lost. Credentials, permissions and
 * TLS trust are not among them: asking again would fail the same way.
 */
const transient =
  /\b(50[0234]|429)\b|too ?many ?requests|internal server error|service unavailable|bad gateway|gateway time-?out|connection reset|broken pipe|unexpected EOF|\bEOF\b|i\/o timeout|timeout awaiting|TLS handshake timeout|blob upload unknown|client connection lost|server closed/i;
const permanent = /unauthorized|denied|authentication required|x509|certificate|not found|manifest unknown/i;

export const isTransientEngineFailure = (message: string): boolean =>
  transient.test(message) && !permanent.test(message);

/**
 * Runs an engine transfer (push, pull: content-addressed, so repeating one only sends what is missing) again while it
 * fails transiently, with the transport's backoff; `what` names it in the log line of each retry.
 */
export async function retryEngineTransfer<T>(
  what: string,
  transfer: () => Promise<T>,
  options: { log?: ((line: string) => void) | undefined; policy?: RetryPolicy } = {},
): Promise<{ value: T; attempts: number }> {
  const policy = options.policy ?? defaultRetryPolicy;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return { value: await transfer(), attempts: attempt };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (attempt >= policy.attempts || !isTransientEngineFailure(message))
        throw Object.assign(error as Error, { attempts: attempt });
      const delayMs = backoffDelay(policy, attempt);
      options.log?.(`retry: ${what} failed (${message.split('\n')[0]}, attempt ${attempt}); again in ${delayMs} ms`);
      await sleep(delayMs);
    }
  }
}
