import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../../../src/ca/certificates.js';
import { RegistryClient } from '../../../src/registry/client.js';
import type { RetryEvent } from '../../../src/transport/http-transport.js';
import { startFaultProxy, type FaultProxy } from '../../helpers/fault-proxy.js';
import { startMemoryRegistry, storeImage, type MemoryRegistry } from '../registry/memory-registry.js';

// The registry client behind the fault proxy (TLS from a CA of the test) in front of a small in-memory registry.
describe('the registry client through faults', () => {
  const ca = createCertificateAuthority({ commonName: 'fault proxy test CA', days: 1 });
  let registry: MemoryRegistry;
  let proxy: FaultProxy;
  beforeAll(async () => {
    registry = await startMemoryRegistry();
    proxy = await startFaultProxy({ upstream: `http://${registry.host}`, ca, seed: 3 });
    storeImage(registry, 'team/worker', { 'io.neurons.worker-id': 'Worker_1_0' }, ['1.0']);
  });
  afterAll(async () => {
    await proxy.close();
    await registry.close();
  });

  it('reads manifests and blobs through 500, 503, 429 and resets mid-body, retrying each', async () => {
    proxy.setRules([
      { kind: 'reset', rate: 0.1 },
      { kind: '500', rate: 0.1 },
      { kind: '503', rate: 0.1 },
      { kind: '429', rate: 0.1, retryAfterSeconds: 0 },
    ]);
    const retries: RetryEvent[] = [];
    const client = new RegistryClient({
      host: proxy.host,
      ca: [ca.certificatePem],
      onRetry: (event) => retries.push(event),
    });
    try {
      for (let round = 0; round < 8; round += 1) {
        expect((await client.getImageConfig('team/worker', '1.0'))?.config.config?.Labels).toEqual({
          'io.neurons.worker-id': 'Worker_1_0',
        });
        expect(await client.headManifest('team/worker', '1.0')).toMatchObject({
          digest: expect.stringMatching(/^sha256:/),
        });
      }
      expect(Object.values(proxy.counts.injected).reduce((sum, count) => sum + count, 0)).toBe(retries.length);
      expect(new Set(retries.map((event) => event.reason.replace(/UND_ERR_SOCKET|ECONNRESET/, 'reset')))).toEqual(
        new Set(['HTTP 500', 'HTTP 503', 'HTTP 429', 'reset']),
      );
      expect(client.stats.retries).toBe(retries.length);
    } finally {
      await client.close();
    }
  });

  it('codes a registry that keeps answering 429 as rate limiting, with the wait it asked for', async () => {
    proxy.setRules([{ kind: '429', rate: 1, retryAfterSeconds: 0 }]);
    const client = new RegistryClient({ host: proxy.host, ca: [ca.certificatePem] });
    try {
      const failure = client.headManifest('team/worker', '1.0');
      await expect(failure).rejects.toMatchObject({
        code: 'REGISTRY_RATE_LIMITED',
        message: expect.stringMatching(
          /limiting requests: it answered 429 .* \(after 5 attempts\), asking to wait 0 s/,
        ),
      });
      await expect(failure).rejects.toMatchObject({ problem: { hint: expect.stringMatching(/rate limiting/) } });
    } finally {
      await client.close();
    }
  });
});
