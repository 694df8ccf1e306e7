import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, type KeyAndCertificate } from '../../../src/ca/certificates.js';
import { httpTarget } from '../../../src/publish/http-target.js';
import type { RetryEvent } from '../../../src/transport/http-transport.js';
import { startFaultProxy, type FaultProxy } from '../../helpers/fault-proxy.js';
import { filesOf, samplePublication } from '../catalog/publication-fixture.js';
import { startPutServer, type PutServer } from '../catalog/put-server.js';

// An HTTP publish target behind the fault proxy (TLS from a CA of the test, trusted beside the system store).
describe('an HTTP publish target through faults', () => {
  let ca: KeyAndCertificate;
  let server: PutServer;
  let proxy: FaultProxy;
  beforeAll(async () => {
    ca = createCertificateAuthority({ commonName: 'fault proxy test CA', days: 1 });
    server = await startPutServer();
    proxy = await startFaultProxy({ upstream: server.url, ca, seed: 7 });
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
  });

  it('commits when the answer to its index PUT is lost after the server stored it (a 412 on the retry is its own write)', async () => {
    proxy.setRules([{ kind: 'reset', landed: true, rate: 1, max: 1, method: /^PUT$/, path: /^\/index\.json$/ }]);
    const retries: RetryEvent[] = [];
    const target = httpTarget(proxy.url, {
      ca: [ca.certificatePem],
      authorization: undefined,
      onRetry: (event) => retries.push(event),
    });
    try {
      const publication = samplePublication(1);
      await target.publish(publication);
      expect(Object.fromEntries([...server.files].map(([name, bytes]) => [name, bytes.toString()]))).toEqual(
        filesOf(publication),
      );
      expect(proxy.counts.injected.reset).toBe(1);
      expect(retries.map((event) => `${event.method} ${new URL(event.url).pathname}`)).toEqual(['PUT /index.json']);
    } finally {
      await target.close();
    }
  });

  it("still refuses a 412 that is another publisher's index", async () => {
    proxy.setRules([]);
    const target = httpTarget(proxy.url, { ca: [ca.certificatePem], authorization: undefined });
    const other = httpTarget(proxy.url, { ca: [ca.certificatePem], authorization: undefined });
    try {
      await target.read('index.json');
      await other.read('index.json');
      await other.publish(samplePublication(2, { by: 'other' }));
      await expect(target.publish(samplePublication(2, { by: 'me' }))).rejects.toMatchObject({
        code: 'CATALOG_PUBLISH_CONFLICT',
      });
    } finally {
      await target.close();
      await other.close();
    }
  });

  it('publishes through 500, 503, 429 with Retry-After, resets and a stall on every kind of request', async () => {
    proxy.setRules([
      { kind: '500', rate: 0.15 },
      { kind: '503', rate: 0.15 },
      { kind: '429', rate: 0.15, retryAfterSeconds: 0 },
      { kind: 'reset', rate: 0.15 },
      { kind: 'stall', rate: 0.1, stallMs: 300, max: 2 },
    ]);
    const before = { ...proxy.counts.injected };
    const retries: RetryEvent[] = [];
    const target = httpTarget(proxy.url, {
      ca: [ca.certificatePem],
      authorization: undefined,
      onRetry: (event) => retries.push(event),
    });
    try {
      await target.read('index.json');
      const publication = samplePublication(3);
      await target.publish(publication);
      expect(server.files.get('index.json')?.toString()).toBe(publication.index.toString());
      const injected = Object.entries(proxy.counts.injected).filter(
        ([kind, count]) => kind !== 'stall' && count > before[kind as keyof typeof before],
      );
      expect(injected.length).toBeGreaterThanOrEqual(3);
      expect(retries.length).toBeGreaterThan(0);
    } finally {
      await target.close();
    }
  });

  it('says it is rate limited, not broken, when the 429s never stop', async () => {
    proxy.setRules([{ kind: '429', rate: 1, retryAfterSeconds: 0 }]);
    const target = httpTarget(proxy.url, { ca: [ca.certificatePem], authorization: undefined });
    try {
      await expect(target.read('index.json')).rejects.toMatchObject({
        code: 'CATALOG_PUBLISH_RATE_LIMITED',
        message: expect.stringMatching(/after 5 attempts/),
      });
    } finally {
      await target.close();
    }
  });
});
