import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  isTransientError,
  isTransientStatus,
  nextDelay,
  retryAfterMs,
  type RetryPolicy,
} from '../../../src/transport/retry-policy.js';

const policy: RetryPolicy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 3000 };

describe('retry policy', () => {
  it('backs off exponentially, capped, with half of each wait random', () => {
    expect([1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(policy, retry, () => 0))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
    expect([1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(policy, retry, () => 1))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('reads Retry-After in seconds or as a date, and caps it', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('2', now)).toBe(2000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(nextDelay(policy, 1, 120_000)).toBe(3000);
    expect(nextDelay(policy, 1, 0)).toBe(0);
  });

  it('retries server failures, rate limits and resets, never a refusal or a TLS failure', () => {
    expect([408, 429, 500, 502, 503, 504].every(isTransientStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 412, 501].some(isTransientStatus)).toBe(false);
    expect(isTransientError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(
      isTransientError(
        new Error('fetch failed', { cause: Object.assign(new Error('closed'), { code: 'UND_ERR_SOCKET' }) }),
      ),
    ).toBe(true);
    expect(isTransientError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isTransientError(Object.assign(new Error('untrusted'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }))).toBe(false);
  });
});
