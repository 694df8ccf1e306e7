import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeys } from '../../../src/catalog/signing.js';
import { runCli } from '../ca/helpers.js';
import { digestOf, entry, publication, startCatalogServer, storedName, type CatalogServer } from './catalog-server.js';
import { startCortexServer, type CortexServer } from './cortex-server.js';

const apiKey = 'cortex-api-key-for-tests-0123';

/** Each file of a folder and its bytes: a file changed, added or left aside (a temporary) shows. */
async function snapshot(folder: string): Promise<Record<string, string>> {
  return Object.fromEntries(
    await Promise.all(
      (await readdir(folder)).map(async (file) => [file, await readFile(path.join(folder, file), 'utf8')] as const),
    ),
  );
}

// `neurons update --install DIR --cortex-url URL` in-process: a real HTTPS catalog server, a local stand-in for
// Cortex's API; no Docker (no --pull here: see test/integration/update.test.ts).
describe('neurons update --install --cortex-url', () => {
  let server: CatalogServer;
  let cortex: CortexServer;
  let directory: string;
  let keyFile: string;
  let engine: string;
  const keys = generateSigningKeys();
  const publish = (files: Map<string, Buffer>): void => server.publish(files);
  const update = (env: NodeJS.ProcessEnv = { NEURONS_CORTEX_API_KEY: apiKey }, ...extra: string[]) =>
    runCli(
      [
        'update',
        '--catalog',
        server.url,
        '--key',
        keyFile,
        '--ca',
        server.caFile,
        '--state',
        path.join(directory, 'state'),
        '--install',
        engine,
        '--cortex-url',
        cortex.url,
        ...extra,
      ],
      directory,
      env,
    );
  const scans = (from: number): string[] =>
    cortex.requests.slice(from).map((request) => `${request.path} ${request.status}`);

  beforeAll(async () => {
    server = await startCatalogServer();
    cortex = await startCortexServer({ apiKey });
    directory = await mkdtemp(path.join(tmpdir(), 'neurons-install-cli-'));
    engine = path.join(directory, 'engine', 'catalogs');
    keyFile = path.join(directory, 'neurons-index.pub');
    await writeFile(keyFile, keys.publicKeyPem);
    publish(
      publication({
        analyzers: [entry('Alpha', '1.0'), entry('Beta', '2.1')],
        responders: [entry('Gamma', '1.0')],
        serial: 1,
        privateKeyPem: keys.privateKeyPem,
      }),
    );
  });
  afterAll(async () => {
    await server.close();
    await cortex.close();
  });

  it('refuses --cortex-url or --no-pin without --install, and --cortex-url without its key (exit 2)', async () => {
    const base = ['update', '--catalog', 'https://127.0.0.1:9/'];
    const withoutInstall = await runCli([...base, '--cortex-url', 'http://127.0.0.1:9001'], directory, {
      NEURONS_CORTEX_API_KEY: apiKey,
    });
    expect([withoutInstall.code, withoutInstall.stderr]).toEqual([
      2,
      expect.stringContaining('--cortex-url needs --install DIR'),
    ]);
    const noPin = await runCli([...base, '--no-pin', '--watch'], directory);
    expect([noPin.code, noPin.stderr]).toEqual([2, expect.stringContaining('--no-pin needs --install DIR')]);
    const noKey = await runCli([...base, '--install', engine, '--cortex-url', 'http://127.0.0.1:9001'], directory, {});
    expect([noKey.code, noKey.stderr]).toEqual([2, expect.stringContaining('UPDATE_CORTEX_KEY_MISSING')]);
    const badUrl = await runCli([...base, '--install', engine, '--cortex-url', 'ftp://cortex'], directory, {
      NEURONS_CORTEX_API_KEY: apiKey,
    });
    expect(badUrl.code).toBe(2);
    expect(cortex.requests).toEqual([]);
  });

  it('installs the verified catalogs, pinned by digest, and asks Cortex once per kind to rescan', async () => {
    const run = await update();
    expect(run.code, run.stderr).toBe(0);
    const analyzers = JSON.parse(await readFile(path.join(engine, 'analyzers.json'), 'utf8')) as Array<
      Record<string, unknown>
    >;
    expect(analyzers).toEqual([
      { ...entry('Alpha', '1.0'), dockerImage: `registry.example:5000/ns/alpha:1@${digestOf('Alpha', '1.0')}` },
      { ...entry('Beta', '2.1'), dockerImage: `registry.example:5000/ns/beta:2@${digestOf('Beta', '2.1')}` },
    ]);
    expect(JSON.parse(await readFile(path.join(engine, 'responders.json'), 'utf8'))).toEqual([
      { ...entry('Gamma', '1.0'), dockerImage: `registry.example:5000/ns/gamma:1@${digestOf('Gamma', '1.0')}` },
    ]);
    expect(Object.keys(await snapshot(engine)).sort()).toEqual(['analyzers.json', 'responders.json']);
    expect(cortex.requests).toEqual([
      { method: 'POST', path: '/api/analyzerdefinition/scan', authorization: `Bearer ${apiKey}`, status: 204 },
      { method: 'POST', path: '/api/responderdefinition/scan', authorization: `Bearer ${apiKey}`, status: 204 },
    ]);
    expect(run.stdout).toMatch(/installed +\S+analyzers\.json \(for Cortex, images pinned by digest\)/);
    expect(run.stdout).toMatch(/rescanned +Cortex rescan of responders/);
    expect(run.stdout + run.stderr).not.toContain(apiKey);
  });

  it('costs one request and no rescan when nothing changed, and reinstalls a file that went missing', async () => {
    const before = await snapshot(engine);
    const start = { catalog: server.requests.length, cortex: cortex.requests.length };
    const unchanged = await update();
    expect(unchanged.code, unchanged.stderr).toBe(0);
    expect(server.requests.slice(start.catalog)).toEqual([{ path: 'index.json', status: 304 }]);
    expect(unchanged.stdout).toMatch(/in place +\S+analyzers\.json/);
    expect(scans(start.cortex)).toEqual([]);

    await rm(path.join(engine, 'analyzers.json'));
    const restored = await update();
    expect(restored.code, restored.stderr).toBe(0);
    // The state is newer than the folder: the update fetches and verifies again, whatever the ETag says.
    expect(server.requests.slice(start.catalog + 1).map((request) => `${request.path} ${request.status}`)).toEqual([
      'index.json 200',
      expect.stringMatching(/^index-[0-9a-f]{64}\.sig 200$/),
      expect.stringMatching(/^catalog-[0-9a-f]{64}\.json 200$/),
      expect.stringMatching(/^catalog-[0-9a-f]{64}\.json 200$/),
    ]);
    expect(await snapshot(engine)).toEqual(before);
    expect(scans(start.cortex)).toEqual(['/api/analyzerdefinition/scan 204']);
  });

  it.each([
    [
      'a forged index',
      'INDEX_SIGNATURE_INVALID',
      () =>
        publication({
          analyzers: [entry('Alpha', '1.0', 'evil.example/ns/alpha:1')],
          serial: 3,
          privateKeyPem: generateSigningKeys().privateKeyPem,
        }),
    ],
    [
      'a replayed older index',
      'INDEX_ROLLBACK',
      () => publication({ analyzers: [entry('Alpha', '0.9')], serial: 0, privateKeyPem: keys.privateKeyPem }),
    ],
    [
      'an expired index',
      'INDEX_EXPIRED',
      () =>
        publication({
          analyzers: [entry('Alpha', '1.1')],
          serial: 3,
          now: new Date(Date.now() - 40 * 86_400_000),
          privateKeyPem: keys.privateKeyPem,
        }),
    ],
    [
      'a catalog changed after signing',
      'CATALOG_HASH_MISMATCH',
      () => {
        const files = publication({ analyzers: [entry('Alpha', '1.1')], serial: 3, privateKeyPem: keys.privateKeyPem });
        const bytes = Buffer.from(files.get('analyzers.json') ?? Buffer.alloc(0));
        bytes[bytes.indexOf('alpha')] = 'A'.charCodeAt(0);
        return new Map([...files, [storedName(files, 'analyzers.json'), bytes]]);
      },
    ],
    [
      'a downgrade',
      'UPDATE_DOWNGRADE',
      () =>
        publication({
          analyzers: [entry('Alpha', '0.9'), entry('Beta', '2.1')],
          responders: [entry('Gamma', '1.0')],
          serial: 3,
          privateKeyPem: keys.privateKeyPem,
        }),
    ],
  ])(
    'leaves the installed catalogs byte for byte, and Cortex alone, on %s (%s, exit 1)',
    async (_what, code, files) => {
      const before = await snapshot(engine);
      const asked = cortex.requests.length;
      publish(files());
      const run = await update();
      expect(run.code).toBe(1);
      expect(run.stdout + run.stderr).toContain(code);
      expect(await snapshot(engine)).toEqual(before);
      expect(scans(asked)).toEqual([]);
    },
  );

  it('keeps an install whose rescan Cortex refused (exit 3, key never shown), and asks again on the next run', async () => {
    publish(
      publication({
        analyzers: [entry('Alpha', '1.1'), entry('Beta', '2.1')],
        responders: [entry('Gamma', '1.0')],
        serial: 4,
        privateKeyPem: keys.privateKeyPem,
      }),
    );
    const asked = cortex.requests.length;
    const refused = await update({ NEURONS_CORTEX_API_KEY: 'not-the-key-of-cortex' });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('UPDATE_RESCAN_AUTH');
    expect(refused.stdout + refused.stderr).not.toContain('not-the-key-of-cortex');
    expect(refused.stdout).toMatch(/FAILED +Cortex rescan of analyzers/);
    expect(await readFile(path.join(engine, 'analyzers.json'), 'utf8')).toContain(
      `alpha:1@${digestOf('Alpha', '1.1')}`,
    );
    expect(scans(asked)).toEqual(['/api/analyzerdefinition/scan 401']);

    const owed = await update();
    expect(owed.code, owed.stderr).toBe(0);
    expect(owed.stdout).toMatch(/^up to date/);
    expect(scans(asked + 1)).toEqual(['/api/analyzerdefinition/scan 204']);
    const settled = await update();
    expect(settled.code).toBe(0);
    expect(scans(asked + 2)).toEqual([]);
  });

  it('still owes Cortex a failed rescan when the next update changes the other kind', async () => {
    const asked = cortex.requests.length;
    publish(
      publication({
        analyzers: [entry('Alpha', '1.1'), entry('Beta', '2.1')],
        responders: [entry('Gamma', '1.1')],
        serial: 5,
        privateKeyPem: keys.privateKeyPem,
      }),
    );
    expect((await update({ NEURONS_CORTEX_API_KEY: 'not-the-key-of-cortex' })).code).toBe(3);
    publish(
      publication({
        analyzers: [entry('Alpha', '1.1'), entry('Beta', '2.2')],
        responders: [entry('Gamma', '1.1')],
        serial: 6,
        privateKeyPem: keys.privateKeyPem,
      }),
    );
    const run = await update();
    expect(run.code, run.stderr).toBe(0);
    expect(scans(asked)).toEqual([
      '/api/responderdefinition/scan 401',
      '/api/analyzerdefinition/scan 204',
      '/api/responderdefinition/scan 204',
    ]);
  });

  it('asks Cortex to rescan what a run installed but could not record (a state older than the folder)', async () => {
    const stateFile = path.join(directory, 'state', 'state.json');
    const older = await readFile(stateFile);
    publish(
      publication({
        analyzers: [entry('Alpha', '1.1'), entry('Beta', '2.2')],
        responders: [entry('Gamma', '1.2')],
        serial: 7,
        privateKeyPem: keys.privateKeyPem,
      }),
    );
    expect((await update()).code).toBe(0);
    const installed = await snapshot(engine);
    await writeFile(stateFile, older);
    const asked = cortex.requests.length;
    const run = await update();
    expect(run.code, run.stderr).toBe(0);
    expect(await snapshot(engine)).toEqual(installed);
    expect(run.stdout).toMatch(/in place +\S+responders\.json/);
    expect(scans(asked)).toEqual(['/api/responderdefinition/scan 204']);
  });

  it('with --no-pin, installs the images by tag, as published', async () => {
    const plain = path.join(directory, 'by-tag');
    const run = await runCli(
      [
        'update',
        '--catalog',
        server.url,
        '--key',
        keyFile,
        '--ca',
        server.caFile,
        '--state',
        path.join(directory, 'by-tag-state'),
        '--install',
        plain,
        '--no-pin',
      ],
      directory,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(
      (await readFile(path.join(plain, 'analyzers.json'))).equals(
        server.files.get('analyzers.json') ?? Buffer.alloc(0),
      ),
    ).toBe(true);
  });
});

describe('neurons update --watch --install', () => {
  it('installs each new publication and asks Cortex to rescan what changed', async () => {
    const server = await startCatalogServer();
    const cortex = await startCortexServer({ apiKey });
    const directory = await mkdtemp(path.join(tmpdir(), 'neurons-install-watch-'));
    const keys = generateSigningKeys();
    const keyFile = path.join(directory, 'key.pub');
    await writeFile(keyFile, keys.publicKeyPem);
    const publish = (files: Map<string, Buffer>): void => server.publish(files);
    publish(
      publication({
        analyzers: [entry('Alpha', '1.0')],
        responders: [entry('Gamma', '1.0')],
        serial: 1,
        privateKeyPem: keys.privateKeyPem,
      }),
    );
    // The publisher publishes again the moment the first run asks Cortex to rescan: the second run must install it.
    cortex.onScan = () => {
      cortex.onScan = undefined;
      publish(
        publication({
          analyzers: [entry('Alpha', '1.0'), entry('Omega', '1.0')],
          responders: [entry('Gamma', '1.0')],
          serial: 2,
          privateKeyPem: keys.privateKeyPem,
        }),
      );
    };
    try {
      const engine = path.join(directory, 'engine');
      const run = await runCli(
        [
          'update',
          '--catalog',
          server.url,
          '--key',
          keyFile,
          '--ca',
          server.caFile,
          '--state',
          path.join(directory, 'state'),
          '--install',
          engine,
          '--cortex-url',
          cortex.url,
          '--watch',
          '--interval',
          '200ms',
          '--max-runs',
          '3',
          '--json',
        ],
        directory,
        { NEURONS_CORTEX_API_KEY: apiKey },
      );
      expect(run.code, run.stderr).toBe(0);
      const reports = run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { status: string; rescan?: Array<{ kind: string; status: string }> });
      expect(reports.map((report) => report.status)).toEqual(['updated', 'updated', 'up-to-date']);
      expect(reports.map((report) => (report.rescan ?? []).map((rescan) => `${rescan.kind} ${rescan.status}`))).toEqual(
        [['analyzer rescanned', 'responder rescanned'], ['analyzer rescanned'], []],
      );
      const installed = JSON.parse(await readFile(path.join(engine, 'analyzers.json'), 'utf8')) as Array<{
        name: string;
      }>;
      expect(installed.map((item) => item.name)).toEqual(['Alpha', 'Omega']);
      expect(cortex.requests.map((request) => request.path)).toEqual([
        '/api/analyzerdefinition/scan',
        '/api/responderdefinition/scan',
        '/api/analyzerdefinition/scan',
      ]);
    } finally {
      await server.close();
      await cortex.close();
    }
  });
});
