import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, type KeyAndCertificate } from '../../../src/ca/certificates.js';
import { publishTargetKind } from '../../../src/publish/targets.js';
import { s3Target } from '../../../src/publish/s3-target.js';
import type { RetryEvent } from '../../../src/transport/http-transport.js';
import { startFaultProxy, type FaultProxy } from '../../helpers/fault-proxy.js';
import { filesOf, objectsOf, samplePublication } from './publication-fixture.js';
import { startS3Server, type S3Server } from './s3-server.js';

const credentials = {
  AWS_ACCESS_KEY_ID: 'AKIATESTPUBLISHER',
  AWS_SECRET_ACCESS_KEY: 'test-secret-access-key-never-printed',
};

/** What is under `prefix/` in the bucket: name -> text. */
const stored = (server: S3Server, prefix: string): Record<string, string> =>
  Object.fromEntries(
    [...server.objects]
      .filter(([key]) => key.startsWith(`${prefix}/`))
      .map(([key, object]) => [key.slice(prefix.length + 1), object.bytes.toString()]),
  );

// The S3 target against a local S3 protocol server, plain on loopback or behind the TLS fault proxy (test CA).
describe('an S3 target', () => {
  let server: S3Server;
  let ca: KeyAndCertificate;
  let proxy: FaultProxy;
  const open: Array<{ close(): Promise<void> }> = [];
  const target = (
    prefix: string,
    options: { endpoint?: string; ca?: string[]; onRetry?: (event: RetryEvent) => void } = {},
  ) => {
    const made = s3Target(`s3://catalogs/${prefix}`, {
      env: { ...credentials, NEURONS_S3_ENDPOINT: options.endpoint ?? server.url },
      ca: options.ca ?? [],
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    });
    open.push(made);
    return made;
  };
  beforeAll(async () => {
    server = await startS3Server({ bucket: 'catalogs', accessKeyId: credentials.AWS_ACCESS_KEY_ID });
    ca = createCertificateAuthority({ commonName: 's3 target test CA', days: 1 });
    proxy = await startFaultProxy({ upstream: server.url, ca, seed: 11 });
  });
  afterEach(async () => {
    for (const made of open.splice(0)) await made.close();
    proxy.setRules([]);
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
  });

  it('is the target of s3://BUCKET/PREFIX only; a malformed bucket is a usage error', () => {
    expect(publishTargetKind('s3://catalogs/workers')).toBe('s3');
    expect(() => publishTargetKind('s3:catalogs')).toThrow(/CATALOG_PUBLISH_TARGET|not a publish target/);
    expect(() => s3Target('s3://Not_A_Bucket/x', { env: {}, ca: [] })).toThrow(/not a valid S3 target/);
  });

  it('writes objects first, then the index with If-None-Match: *, then the named copies; the next one with If-Match', async () => {
    const first = samplePublication(1);
    await target('switch').publish(first);
    expect(stored(server, 'switch')).toEqual(filesOf(first));
    const puts = server.log.filter((line) => line.startsWith('PUT switch/'));
    expect(puts.slice(0, first.objects.size).every((line) => line.endsWith('if-none-match -> 200'))).toBe(true);
    expect(puts[first.objects.size]).toBe('PUT switch/index.json if-none-match -> 200');
    expect(server.objects.get('switch/index.json')?.cacheControl).toBe('no-cache');
    expect(server.objects.get(`switch/${[...first.objects.keys()][0] ?? ''}`)?.cacheControl).toContain('immutable');

    const second = samplePublication(2);
    const next = target('switch');
    expect((await next.read('index.json'))?.toString()).toBe(first.index.toString());
    await next.publish(second);
    // The objects of the publication before stay for a reader that read its index a moment ago.
    expect(stored(server, 'switch')).toEqual({ ...objectsOf(first), ...filesOf(second) });
    expect(server.log).toContain('PUT switch/index.json if-match -> 200');
    expect(await target('switch').read('missing.json')).toBeUndefined();
  });

  it('serves report-templates.zip as application/zip, and removes the named copy once a publication withdraws it', async () => {
    const first = samplePublication(1, { reportTemplates: 'templates one' });
    await target('templates').publish(first);
    expect(stored(server, 'templates')).toEqual(filesOf(first));
    expect(server.objects.get('templates/report-templates.zip')?.contentType).toBe('application/zip');
    const second = samplePublication(2);
    const next = target('templates');
    await next.read('index.json');
    await next.publish(second);
    expect(stored(server, 'templates')).toEqual({ ...objectsOf(first), ...filesOf(second) });
  });

  it('refuses to commit over an index written since it was read, before writing anything', async () => {
    await target('stale').publish(samplePublication(1));
    const late = target('stale');
    await late.read('index.json');
    await target('stale').publish(samplePublication(2, { by: 'winner' }));
    const before = stored(server, 'stale');
    await expect(late.publish(samplePublication(3, { by: 'loser' }))).rejects.toMatchObject({
      code: 'CATALOG_PUBLISH_CONFLICT',
    });
    expect(stored(server, 'stale')).toEqual(before);
  });

  it('lets one of two publishers that passed their checks together commit; the other gets 412 and CATALOG_PUBLISH_CONFLICT', async () => {
    // Both index PUTs are held until both arrived, then answered one after the other.
    let arrived: Array<() => void> = [];
    const raceServer = await startS3Server({
      bucket: 'catalogs',
      accessKeyId: credentials.AWS_ACCESS_KEY_ID,
      hold: ({ method, key }) =>
        method === 'PUT' && key === 'race/index.json'
          ? new Promise<void>((resolve) => {
              arrived.push(resolve);
              if (arrived.length === 2) arrived.forEach((release, order) => setTimeout(release, order * 50));
            })
          : Promise.resolve(),
    });
    try {
      const one = target('race', { endpoint: raceServer.url });
      const other = target('race', { endpoint: raceServer.url });
      const results = await Promise.allSettled([
        one.publish(samplePublication(1, { by: 'one' })),
        other.publish(samplePublication(1, { by: 'other' })),
      ]);
      arrived = [];
      expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
      const failure = results.find((result) => result.status === 'rejected');
      expect(failure?.status === 'rejected' && failure.reason).toMatchObject({ code: 'CATALOG_PUBLISH_CONFLICT' });
      expect(raceServer.log.filter((line) => line.startsWith('PUT race/index.json'))).toEqual([
        'PUT race/index.json if-none-match -> 200',
        'PUT race/index.json if-none-match -> 412',
      ]);
      // What readers find is exactly the winner's publication (plus the loser's objects, which no index refers to).
      const winner = results[0]?.status === 'fulfilled' ? 'one' : 'other';
      const files = stored(raceServer, 'race');
      expect(files['index.json']).toBe(samplePublication(1, { by: winner }).index.toString());
      expect(files).toMatchObject(filesOf(samplePublication(1, { by: winner })));
    } finally {
      await raceServer.close();
    }
  });

  it('goes through TLS with the configured CA, retries 500 and 503 (Retry-After honoured) and commits when its index PUT landed but its answer was lost', async () => {
    proxy.setRules([
      { kind: '503', rate: 1, max: 1, method: /^PUT$/, path: /catalog-/, retryAfterSeconds: 1 },
      { kind: '500', rate: 1, max: 1, method: /^GET$/, path: /\/index\.json(\?|$)/ },
      { kind: 'reset', landed: true, rate: 1, max: 1, method: /^PUT$/, path: /\/index\.json(\?|$)/ },
    ]);
    const retries: RetryEvent[] = [];
    const publication = samplePublication(1);
    const tls = target('faults', {
      endpoint: proxy.url,
      ca: [ca.certificatePem],
      onRetry: (event) => retries.push(event),
    });
    expect(await tls.read('index.json')).toBeUndefined();
    await tls.publish(publication);
    expect(stored(server, 'faults')).toEqual(filesOf(publication));
    expect(proxy.counts.log.map((line) => line.replace(/\?.*/, ''))).toEqual([
      '500 GET /catalogs/faults/index.json',
      expect.stringMatching(/^503 PUT \/catalogs\/faults\/catalog-/),
      'reset PUT /catalogs/faults/index.json',
    ]);
    expect(retries.map((event) => `${event.method} ${event.url} ${event.reason}`)).toEqual([
      'GET s3://catalogs/faults/index.json HTTP 500',
      expect.stringMatching(/^PUT s3:\/\/catalogs\/faults\/catalog-.* HTTP 503$/),
      'PUT s3://catalogs/faults/index.json ECONNRESET',
    ]);
    expect(retries[1]).toMatchObject({ retryAfter: true, delayMs: 1000 });
  });

  it('fails with CATALOG_PUBLISH_UNREACHABLE without the CA, and CATALOG_PUBLISH_HTTP on refused credentials, never showing the secret', async () => {
    const untrusted = target('refused', { endpoint: proxy.url });
    const unreachable = await untrusted.read('index.json').catch((error: unknown) => error);
    expect(unreachable).toMatchObject({ code: 'CATALOG_PUBLISH_UNREACHABLE' });
    const wrongKey = s3Target('s3://catalogs/refused', {
      env: {
        AWS_ACCESS_KEY_ID: 'AKIAOTHER',
        AWS_SECRET_ACCESS_KEY: credentials.AWS_SECRET_ACCESS_KEY,
        NEURONS_S3_ENDPOINT: server.url,
      },
      ca: [],
    });
    open.push(wrongKey);
    const refused = await wrongKey.publish(samplePublication(1)).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'CATALOG_PUBLISH_HTTP', message: expect.stringContaining('403') });
    for (const failure of [unreachable, refused])
      expect(
        JSON.stringify({ message: (failure as Error).message, hint: (failure as { hint?: string }).hint }),
      ).not.toContain(credentials.AWS_SECRET_ACCESS_KEY);
    expect(JSON.stringify(server.headers)).not.toContain(credentials.AWS_SECRET_ACCESS_KEY);
  });
});
