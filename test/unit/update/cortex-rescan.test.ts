import { afterEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueServerCertificate } from '../../../src/ca/certificates.js';
import { ExitCode } from '../../../src/errors/neurons-error.js';
import { buildTrustStore } from '../../../src/trust/trust-store.js';
import { retryAfterMs } from '../../../src/transport/retry-policy.js';
import { CortexClient } from '../../../src/update/cortex-rescan.js';
import { startCortexServer, type CortexServer } from './cortex-server.js';

const apiKey = 'k3y-0f-an-0rg-adm1n';

// The rescan client against a local server speaking Cortex's two scan endpoints. Pauses between tries are recorded,
// not waited: the client asks for them, the test checks what it asked.
describe('asking Cortex to rescan its catalogs', () => {
  let server: CortexServer | undefined;
  afterEach(async () => server?.close());
  const client = (url: string, extra: { key?: string; ca?: string[] } = {}) => {
    const pauses: number[] = [];
    const cortex = new CortexClient({
      url,
      apiKey: extra.key ?? apiKey,
      ca: extra.ca ?? buildTrustStore({ caFiles: [], caPems: [], env: {} }).ca,
      attempts: 4,
      pause: async (ms) => void pauses.push(ms),
    });
    return { cortex, pauses };
  };

  it('posts to the endpoint of each kind with the bearer key', async () => {
    server = await startCortexServer({ apiKey });
    const { cortex, pauses } = client(server.url);
    expect(await cortex.rescan('analyzer')).toEqual({ kind: 'analyzer', status: 204, attempts: 1 });
    expect(await cortex.rescan('responder')).toEqual({ kind: 'responder', status: 204, attempts: 1 });
    await cortex.close();
    expect(server.requests).toEqual([
      { method: 'POST', path: '/api/analyzerdefinition/scan', authorization: `Bearer ${apiKey}`, status: 204 },
      { method: 'POST', path: '/api/responderdefinition/scan', authorization: `Bearer ${apiKey}`, status: 204 },
    ]);
    expect(pauses).toEqual([]);
  });

  it('keeps the path of a Cortex behind a reverse proxy, with or without a trailing slash', async () => {
    server = await startCortexServer({ apiKey, prefix: '/cortex' });
    for (const url of [server.url, `${server.url}/`]) {
      const { cortex } = client(url);
      await cortex.rescan('analyzer');
      await cortex.close();
    }
    expect(server.requests.map((request) => [request.path, request.status])).toEqual([
      ['/cortex/api/analyzerdefinition/scan', 204],
      ['/cortex/api/analyzerdefinition/scan', 204],
    ]);
  });

  it('tries again after 503, waiting what Retry-After asks', async () => {
    server = await startCortexServer({ apiKey });
    server.answers.push({ status: 503, headers: { 'retry-after': '7' } });
    const { cortex, pauses } = client(server.url);
    expect(await cortex.rescan('analyzer')).toMatchObject({ status: 204, attempts: 2 });
    await cortex.close();
    expect(server.requests.map((request) => request.status)).toEqual([503, 204]);
    expect(pauses).toEqual([7000]);
  });

  it('tries again after 429 with an HTTP date, and after a dropped connection', async () => {
    server = await startCortexServer({ apiKey });
    // Far enough ahead that no stall of the machine makes it past; the pause is the date minus the clock when the
    // answer came, which lies between the clock read before the request and after it.
    const retryAt = new Date(Date.now() + 30_000).toUTCString();
    server.answers.push({ status: 429, headers: { 'retry-after': retryAt } }, 'reset');
    const { cortex, pauses } = client(server.url);
    const before = Date.now();
    expect(await cortex.rescan('responder')).toMatchObject({ status: 204, attempts: 3 });
    const after = Date.now();
    await cortex.close();
    expect(server.requests.map((request) => request.status)).toEqual([429, 'reset', 204]);
    expect(pauses).toHaveLength(2);
    expect(pauses[0]).toBeGreaterThanOrEqual(Date.parse(retryAt) - after);
    expect(pauses[0]).toBeLessThanOrEqual(Date.parse(retryAt) - before);
    expect(pauses[1]).toBe(1000);
  });

  it('gives up after four tries of 5xx with a coded error (exit 3)', async () => {
    server = await startCortexServer({ apiKey });
    server.answers.push(...Array.from({ length: 5 }, () => ({ status: 500 })));
    const { cortex, pauses } = client(server.url);
    const failure = cortex.rescan('analyzer');
    await expect(failure).rejects.toMatchObject({
      code: 'UPDATE_RESCAN_FAILED',
      exitCode: ExitCode.environment,
      message: expect.stringContaining('answered 500 after 4 tries'),
    });
    await cortex.close();
    expect(server.requests).toHaveLength(4);
    expect(pauses).toEqual([500, 1000, 2000]);
  });

  it('does not wait for a Retry-After longer than a minute: the next update asks again', async () => {
    server = await startCortexServer({ apiKey });
    server.answers.push({ status: 503, headers: { 'retry-after': '3600' } });
    const { cortex, pauses } = client(server.url);
    await expect(cortex.rescan('analyzer')).rejects.toMatchObject({
      code: 'UPDATE_RESCAN_FAILED',
      message: expect.stringContaining('asks to wait 3600 s'),
    });
    await cortex.close();
    expect(pauses).toEqual([]);
  });

  it('fails at once on 401 with UPDATE_RESCAN_AUTH, and never shows the key', async () => {
    server = await startCortexServer({ apiKey });
    const { cortex, pauses } = client(server.url, { key: 'a-wrong-but-secret-key' });
    let caught: unknown;
    await cortex.rescan('analyzer').catch((error: unknown) => (caught = error));
    await cortex.close();
    expect(caught).toMatchObject({
      code: 'UPDATE_RESCAN_AUTH',
      exitCode: ExitCode.environment,
      message: expect.stringContaining('answered 401'),
    });
    const everything = JSON.stringify({
      message: (caught as Error).message,
      problem: (caught as { problem: unknown }).problem,
      stack: (caught as Error).stack,
    });
    expect(everything).not.toContain('a-wrong-but-secret-key');
    expect(server.requests).toHaveLength(1);
    expect(pauses).toEqual([]);
  });

  it('fails on a wrong address (404) without trying again', async () => {
    server = await startCortexServer({ apiKey, prefix: '/cortex' });
    const { cortex } = client(`${server.url.replace('/cortex', '')}/`);
    await expect(cortex.rescan('analyzer')).rejects.toMatchObject({
      code: 'UPDATE_RESCAN_FAILED',
      message: expect.stringContaining('answered 404'),
    });
    await cortex.close();
    expect(server.requests).toHaveLength(1);
  });

  it('trusts --ca on top of the system roots, and names the hop when it does not trust the server', async () => {
    const ca = createCertificateAuthority({ commonName: 'Cortex tests CA', days: 1 });
    const leaf = issueServerCertificate(ca, { hosts: ['localhost'], ips: ['127.0.0.1'], days: 1 });
    server = await startCortexServer({ apiKey, tls: { cert: leaf.certificatePem, key: leaf.keyPem } });
    const trusted = client(server.url, {
      ca: buildTrustStore({ caFiles: [], caPems: [ca.certificatePem], env: {} }).ca,
    });
    expect(await trusted.cortex.rescan('analyzer')).toMatchObject({ status: 204 });
    await trusted.cortex.close();
    const untrusted = client(server.url);
    await expect(untrusted.cortex.rescan('analyzer')).rejects.toMatchObject({
      code: 'TLS_UNTRUSTED',
      message: expect.stringContaining('Cortex API 127.0.0.1'),
    });
    await untrusted.cortex.close();
  });

  it('reads Retry-After as seconds or as a date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
});
