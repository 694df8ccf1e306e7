import { describe, expect, it } from 'vitest';
import { isTransientEngineFailure, retryEngineTransfer } from '../../../src/transport/engine-failure.js';

const fast = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 10 };

describe('engine transfers', () => {
  it('tells a transient registry failure, in the engine words, from one that would fail again', () => {
    for (const message of [
      'received unexpected HTTP status: 503 Service Unavailable',
      'received unexpected HTTP status: 500 Internal Server Error',
      'error parsing HTTP 429 response body: unexpected end of JSON input: ""',
      'toomanyrequests: too many requests',
      'Patch "https://127.0.0.1:42031/v2/ns/w/blobs/uploads/9b93?_state=x": EOF',
      'read tcp 127.0.0.1:5000->127.0.0.1:443: read: connection reset by peer',
      'blob upload unknown',
    ]) {
      expect(isTransientEngineFailure(message), message).toBe(true);
    }
    for (const message of [
      'unauthorized: authentication required',
      'denied: requested access to the resource is denied',
      'x509: certificate signed by unknown authority',
      'manifest unknown: manifest unknown',
      'no such image: ns/w:1',
    ]) {
      expect(isTransientEngineFailure(message), message).toBe(false);
    }
  });

  it('starts a transfer again while it fails transiently, logs each retry, and stops at the policy attempts', async () => {
    const lines: string[] = [];
    let calls = 0;
    const result = await retryEngineTransfer(
      'push of w:1',
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('received unexpected HTTP status: 502 Bad Gateway');
        return 'sha256:abc';
      },
      { log: (line) => lines.push(line), policy: fast },
    );
    expect(result).toEqual({ value: 'sha256:abc', attempts: 3 });
    expect(lines).toEqual([
      expect.stringMatching(
        /^retry: push of w:1 failed \(received unexpected HTTP status: 502 Bad Gateway, attempt 1\)/,
      ),
      expect.stringMatching(/attempt 2/),
    ]);
    await expect(
      retryEngineTransfer('push', () => Promise.reject(new Error('unauthorized: authentication required')), {
        policy: fast,
      }),
    ).rejects.toMatchObject({ attempts: 1 });
    await expect(
      retryEngineTransfer(
        'push',
        () => Promise.reject(new Error('received unexpected HTTP status: 503 Service Unavailable')),
        { policy: fast },
      ),
    ).rejects.toMatchObject({ attempts: 3 });
  });
});
