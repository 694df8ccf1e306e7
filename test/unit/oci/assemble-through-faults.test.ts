import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, type KeyAndCertificate } from '../../../src/ca/certificates.js';
import { RegistryClient } from '../../../src/registry/client.js';
import type { RetryEvent } from '../../../src/transport/http-transport.js';
import { startFaultProxy, type FaultProxy } from '../../helpers/fault-proxy.js';
import { startOciRegistry, type OciRegistry } from '../../helpers/oci-registry.js';
import { assemble, seedBase } from './assemble-fixture.js';

// The assembly through the fault proxy (TLS, a CA of the test): every call of src/oci/write.ts is safe to send
// again, so 500, 503, 429, resets (some after the registry did the work) on every kind of request change nothing
// but the number of attempts. The registry refuses manifests naming what the repository lacks: the end state is whole.
describe('assembling an image through registry faults', () => {
  let ca: KeyAndCertificate;
  let registry: OciRegistry;
  let proxy: FaultProxy;
  beforeAll(async () => {
    ca = createCertificateAuthority({ commonName: 'oci faults test CA', days: 1 });
    registry = await startOciRegistry({ token: true });
    seedBase(registry);
    proxy = await startFaultProxy({ upstream: `http://${registry.host}`, ca, seed: 11, faultsInARow: 2 });
  });
  afterAll(async () => {
    await proxy.close();
    await registry.close();
  });

  it('ends with the same index as without faults, after retries and restarted uploads', async () => {
    proxy.setRules([
      { kind: '500', rate: 0.1 },
      { kind: '503', rate: 0.05 },
      { kind: '429', rate: 0.05, retryAfterSeconds: 0 },
      { kind: 'reset', rate: 0.1 },
      { kind: 'reset', rate: 0.2, landed: true, method: /^(PUT|POST)$/ },
    ]);
    const retries: RetryEvent[] = [];
    const client = new RegistryClient({
      host: proxy.host,
      ca: [ca.certificatePem],
      credentials: { username: 'u', password: 'p' },
      onRetry: (event) => retries.push(event),
    });
    try {
      const { index } = await assemble(client, 'team/hello', 'v1');
      expect(registry.manifest('team/hello', 'v1')?.bytes.equals(index.bytes)).toBe(true);
      expect(proxy.counts.injected.reset + proxy.counts.injected['500']).toBeGreaterThan(0);
      // Seeded faults, requests in a fixed order: among them, upload sessions lost and started again.
      expect(retries.filter((event) => event.reason.startsWith('upload session')).length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });
});
