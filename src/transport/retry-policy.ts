/**
 * When and how long to wait before sending a request again. Pure functions: the transport applies them, the tests
 * check them without a clock.
 */
export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  attempts: number;
  /** The first backoff; each further one doubles, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A server's `Retry-After` is honoured up to this; a longer one is cut to it (the next answer says again). */
  maxRetryAfterMs: number;
}

/**
 * Five attempts, 250 ms doubling to 8 s, Retry-After up to 30 s: a transient fault costs well under a second, a
 * registry restarting is waited out for ~15 s, and a run that cannot succeed still ends within a minute per request.
 */
export const defaultRetryPolicy: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 8000,
  maxRetryAfterMs: 30_000,
};

/** Statuses that say "busy, come back": coded as rate limiting, not as a broken registry. */
export const rateLimitStatuses: ReadonlySet<number> = new Set([429, 503]);

/** Statuses a later attempt of the same request can turn into a success. */
const transientStatuses: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

export const isTransientStatus = (status: number): boolean => transientStatuses.has(status);

/**
 * Connection failures worth another attempt: a reset or a closed socket mid-answer, a timeout. A refused connection
 * is not (nothing listens: the address is wrong or the service is down, and waiting a few seconds rarely helps),
 * nor is any TLS failure (a certificate does not become trusted by asking again).
 */
const transientCodes: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export function isTransientError(error: unknown): boolean {
  for (let item: unknown = error, depth = 0; typeof item === 'object' && item !== null && depth < 4; depth += 1) {
    const code = (item as { code?: unknown }).code;
    if (typeof code === 'string' && transientCodes.has(code)) return true;
    item = (item as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The wait before retry number `retry` (1 for the first retry): exponential, capped, with "equal jitter" (half
 * fixed, half random) so that clients failing together do not come back together, yet each waits a little.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** `Retry-After` (seconds, or an HTTP date) in milliseconds from `now`; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The wait before the next attempt: the server's `Retry-After` when it gave one (capped), else the backoff. */
export function nextDelay(
  policy: RetryPolicy,
  retry: number,
  retryAfter: number | undefined,
  random: () => number = Math.random,
): number {
  return retryAfter === undefined ? backoffDelay(policy, retry, random) : Math.min(retryAfter, policy.maxRetryAfterMs);
}
