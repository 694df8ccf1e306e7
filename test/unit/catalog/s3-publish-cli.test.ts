import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, type KeyAndCertificate } from '../../../src/ca/certificates.js';
import { generateSigningKeys } from '../../../src/catalog/signing.js';
import { startFaultProxy, type FaultProxy } from '../../helpers/fault-proxy.js';
import { runCli } from '../ca/helpers.js';
import { startS3Server, type S3Server } from './s3-server.js';

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../analyzers-fixture');
const secret = 'cli-test-secret-access-key-0123456789';

// `neurons catalog --publish s3://...` in-process, without a registry (--no-verify --definitions-only), against the
// local S3 protocol server: directly, and behind the TLS fault proxy whose CA is the configured registry's.
describe('neurons catalog --publish s3://BUCKET/PREFIX', () => {
  let work: string;
  let keyFile: string;
  let publicKeyFile: string;
  let ca: KeyAndCertificate;
  let caFile: string;
  let server: S3Server;
  let proxy: FaultProxy;
  // While set, the first read of a prefix's index by each of two publishers is held until both asked.
  let barrier: { readers: number; bothAsked: Promise<void>; release: () => void } | undefined;
  const env = (endpoint: string) => ({
    AWS_ACCESS_KEY_ID: 'AKIACLITEST',
    AWS_SECRET_ACCESS_KEY: secret,
    AWS_REGION: 'eu-west-3',
    NEURONS_S3_ENDPOINT: endpoint,
    NEURONS_REGISTRY_CA: caFile,
  });
  const catalog = (endpoint: string, ...extra: string[]) =>
    runCli(
      [
        'catalog',
        '--repo',
        fixture,
        '--no-verify',
        '--definitions-only',
        '--registry',
        'registry.example/acme',
        '--sign',
        keyFile,
        ...extra,
      ],
      work,
      env(endpoint),
    );
  const stored = (prefix: string): Record<string, string> =>
    Object.fromEntries(
      [...server.objects]
        .filter(([key]) => key.startsWith(`${prefix}/`))
        .map(([key, object]) => [key.slice(prefix.length + 1), object.bytes.toString()]),
    );
  const folder = async (directory: string): Promise<Record<string, string>> =>
    Object.fromEntries(
      await Promise.all(
        (await readdir(directory)).map(
          async (file) => [file, await readFile(path.join(directory, file), 'utf8')] as const,
        ),
      ),
    );
  const serialOf = (text: string | undefined): number => (JSON.parse(text ?? '{}') as { serial: number }).serial;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'neurons-s3-'));
    const keys = generateSigningKeys();
    keyFile = path.join(work, 'index.key');
    publicKeyFile = path.join(work, 'index.pub');
    await writeFile(keyFile, keys.privateKeyPem, { mode: 0o600 });
    await writeFile(publicKeyFile, keys.publicKeyPem);
    ca = createCertificateAuthority({ commonName: 's3 publish test CA', days: 1 });
    caFile = path.join(work, 'ca.crt');
    await writeFile(caFile, ca.certificatePem);
    server = await startS3Server({
      bucket: 'catalogs',
      accessKeyId: 'AKIACLITEST',
      publicRead: true,
      hold: ({ method, key }) => {
        if (!barrier || method !== 'GET' || !key.endsWith('/index.json')) return Promise.resolve();
        barrier.readers += 1;
        if (barrier.readers === 2) barrier.release();
        return barrier.readers <= 2 ? barrier.bothAsked : Promise.resolve();
      },
    });
    proxy = await startFaultProxy({ upstream: server.url, ca, seed: 5 });
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
  });

  it('lands the files of the --out folder, through TLS and injected 500/503s, never printing the secret; the next run raises the serial', async () => {
    proxy.setRules([
      { kind: '503', rate: 1, max: 1, method: /^PUT$/, path: /\/catalog-/ },
      { kind: '500', rate: 1, max: 1, method: /^PUT$/, path: /\/index\.json(\?|$)/ },
    ]);
    const out = path.join(work, 'first');
    const first = await catalog(proxy.url, '--out', out, '--publish', 's3://catalogs/workers/stable');
    expect(first.code, first.stderr).toBe(0);
    expect(stored('workers/stable')).toEqual(await folder(out));
    expect(first.stderr).toMatch(/retry: publish PUT catalogs\/workers\/stable\/catalog-\S+ failed \(HTTP 503/);
    expect(first.stderr).toContain('retry: publish PUT catalogs/workers/stable/index.json failed (HTTP 500');
    expect(first.stdout + first.stderr).not.toContain(secret);
    const serial = serialOf(stored('workers/stable')['index.json']);

    proxy.setRules([]);
    // A fresh runner: the previous publication is read back from the bucket.
    const second = await catalog(
      proxy.url,
      '--out',
      path.join(work, 'second'),
      '--publish',
      's3://catalogs/workers/stable',
    );
    expect(second.code, second.stderr).toBe(0);
    expect(serialOf(stored('workers/stable')['index.json'])).toBeGreaterThan(serial);
    expect(second.stdout + second.stderr).not.toContain(secret);
  });

  it.each(['s3://Not_A_Bucket/x', 's3://catalogs/../x', 's3:catalogs'])(
    'refuses --publish %s with exit 2 before anything is read or written',
    async (target) => {
      const requests = server.log.length;
      const out = path.join(work, `refused-${target.replace(/\W/g, '')}`);
      const run = await catalog(server.url, '--out', out, '--publish', target);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('CATALOG_PUBLISH_TARGET');
      expect(server.log.length).toBe(requests);
      await expect(readdir(out)).rejects.toMatchObject({ code: 'ENOENT' });
    },
  );

  it('two publishers of different channels racing: the loser publishes again on top, and an updater with the key accepts what is served', async () => {
    let release = (): void => undefined;
    barrier = { readers: 0, bothAsked: new Promise<void>((resolve) => (release = resolve)), release: () => release() };
    const publish = (channel: string) =>
      catalog(
        server.url,
        '--out',
        path.join(work, `race-${channel}`),
        '--channel',
        channel,
        '--publish',
        's3://catalogs/race',
        '--json',
      );
    const runs = await Promise.all([publish('stable'), publish('devel')]);
    barrier = undefined;
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    // The race is real: both read no index; one lost the commit (at its check or its conditional PUT) and published
    // again on top of the other's.
    expect(runs.filter((run) => /"retries":[1-9]/.test(run.stdout)).length).toBe(1);
    for (const file of ['analyzers-stable.json', 'analyzers-devel.json']) {
      const update = await runCli(
        [
          'update',
          '--catalog',
          `${server.url}/catalogs/race/${file}`,
          '--key',
          publicKeyFile,
          '--state',
          path.join(work, `race-state-${file}`),
          '--json',
        ],
        work,
      );
      expect(update.code, `${file}: ${update.stderr}`).toBe(0);
      expect((JSON.parse(update.stdout) as { counts: { added: number } }).counts.added).toBeGreaterThan(0);
    }
  });
});
