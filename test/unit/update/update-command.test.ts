import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../src/publish/publication.js';
import { generateSigningKeys } from '../../../src/catalog/signing.js';
import { runCli } from '../ca/helpers.js';
import { entry, publication, startCatalogServer, type CatalogServer } from './catalog-server.js';

// `neurons update` in-process against a real HTTPS server (private CA, ETags); no Docker: no --pull here.
describe('neurons update against an HTTPS catalog server', () => {
  let server: CatalogServer;
  let directory: string;
  let keyFile: string;
  let stateDirectory: string;
  const keys = generateSigningKeys();
  const publish = (files: Map<string, Buffer>): void => server.publish(files);
  const update = (...extra: string[]) =>
    runCli(
      ['update', '--catalog', server.url, '--key', keyFile, '--ca', server.caFile, '--state', stateDirectory, ...extra],
      directory,
    );
  const stateBytes = (): Promise<string> => readFile(path.join(stateDirectory, 'state.json'), 'utf8');
  const requestsOf = async (run: () => Promise<unknown>): Promise<Array<{ path: string; status: number }>> => {
    const start = server.requests.length;
    await run();
    return server.requests.slice(start);
  };

  beforeAll(async () => {
    server = await startCatalogServer();
    directory = await mkdtemp(path.join(tmpdir(), 'neurons-update-'));
    keyFile = path.join(directory, 'neurons-index.pub');
    await writeFile(keyFile, keys.publicKeyPem);
    stateDirectory = path.join(directory, 'state');
    publish(
      publication({
        analyzers: [entry('Alpha', '1.0'), entry('Beta', '2.1')],
        responders: [entry('Gamma', '1.0')],
        serial: 1,
        privateKeyPem: keys.privateKeyPem,
      }),
    );
  });
  afterAll(async () => server.close());

  it('applies a verified index: every worker added, the state written', async () => {
    let run: Awaited<ReturnType<typeof update>> | undefined;
    const requests = await requestsOf(async () => (run = await update()));
    expect(run?.code, run?.stderr).toBe(0);
    // The signature named by the index's hash, the catalogs by theirs: what is read belongs to this index.
    const published = server.files.get('index.json') ?? Buffer.alloc(0);
    const index = JSON.parse(published.toString('utf8')) as { catalogs: Record<string, { sha256: string }> };
    expect(requests.map((request) => request.path)).toEqual([
      'index.json',
      `index-${sha256Hex(published)}.sig`,
      `catalog-${index.catalogs['analyzers.json']?.sha256 ?? ''}.json`,
      `catalog-${index.catalogs['responders.json']?.sha256 ?? ''}.json`,
    ]);
    expect(run?.stdout).toMatch(/added +Alpha_1_0 +registry\.example:5000\/ns\/alpha:1/);
    expect(run?.stdout).toMatch(/3 added, 0 upgraded, 0 downgraded, 0 changed, 0 removed, 0 unchanged/);
    expect(run?.stderr).toBe('');
    const state = JSON.parse(await stateBytes()) as { sources: Record<string, { serial: number; workers: unknown[] }> };
    expect(state.sources[server.url]).toMatchObject({ serial: 1 });
    expect(state.sources[server.url]?.workers).toHaveLength(3);
  });

  it('costs exactly one request, answered 304, when nothing was published', async () => {
    const before = await stateBytes();
    let run: Awaited<ReturnType<typeof update>> | undefined;
    const requests = await requestsOf(async () => (run = await update()));
    expect(requests).toEqual([{ path: 'index.json', status: 304 }]);
    expect(run?.code).toBe(0);
    expect(run?.stdout).toMatch(/^up to date: .*1 request\)/);
    expect(await stateBytes()).toBe(before);
  });

  it('reports upgrades, additions and removals of a new publication', async () => {
    publish(
      publication({
        analyzers: [entry('Alpha', '1.10'), entry('Delta', '0.1')],
        responders: [entry('Gamma', '1.0')],
        serial: 2,
        privateKeyPem: keys.privateKeyPem,
      }),
    );
    const run = await update('--json');
    expect(run.code, run.stdout).toBe(0);
    const report = JSON.parse(run.stdout) as {
      status: string;
      serial: number;
      counts: Record<string, number>;
      changes: Array<{ name: string; change: string }>;
    };
    expect(report).toMatchObject({
      status: 'updated',
      serial: 2,
      counts: { added: 1, upgraded: 1, removed: 1, unchanged: 1 },
    });
    expect(Object.fromEntries(report.changes.map((change) => [change.name, change.change]))).toEqual({
      Alpha: 'upgraded',
      Delta: 'added',
      Gamma: 'unchanged',
      Beta: 'removed',
    });
  });

  it.each([
    [
      'a forged index (a genuine signature filed under the forged index)',
      'INDEX_SIGNATURE_INVALID',
      () => {
        const files = publication({
          analyzers: [entry('Alpha', '1.10')],
          serial: 3,
          privateKeyPem: keys.privateKeyPem,
        });
        const forged = publication({ analyzers: [entry('Alpha', '1.10', 'evil.example/ns/alpha:1')], serial: 3 });
        const forgedIndex = forged.get('index.json') ?? Buffer.alloc(0);
        const genuineSignature = [...files].find(([file]) => file.endsWith('.sig'))?.[1] ?? Buffer.alloc(0);
        return new Map([...files, ...forged, [`index-${sha256Hex(forgedIndex)}.sig`, genuineSignature]]);
      },
    ],
    [
      'an unsigned index published after a signed one',
      'INDEX_UNSIGNED',
      () => {
        const signed = publication({
          analyzers: [entry('Alpha', '1.10')],
          serial: 3,
          privateKeyPem: keys.privateKeyPem,
        });
        return new Map([...signed, ...publication({ analyzers: [entry('Alpha', '1.11')], serial: 4 })]);
      },
    ],
    [
      'an index without expires',
      'INDEX_EXPIRY_INVALID',
      () =>
        publication({
          analyzers: [entry('Alpha', '1.10')],
          serial: 3,
          privateKeyPem: keys.privateKeyPem,
          alterIndex: (index) => void delete index['expires'],
        }),
    ],
    [
      'an index with a garbage expires',
      'INDEX_EXPIRY_INVALID',
      () =>
        publication({
          analyzers: [entry('Alpha', '1.10')],
          serial: 3,
          privateKeyPem: keys.privateKeyPem,
          alterIndex: (index) => void (index['expires'] = 'next summer'),
        }),
    ],
    [
      'an index signed with another key',
      'INDEX_SIGNATURE_INVALID',
      () =>
        publication({
          analyzers: [entry('Alpha', '1.10')],
          serial: 3,
          privateKeyPem: generateSigningKeys().privateKeyPem,
        }),
    ],
    [
      'a replayed older index',
      'INDEX_ROLLBACK',
      () =>
        publication({
          analyzers: [entry('Alpha', '1.0'), entry('Beta', '2.1')],
          responders: [entry('Gamma', '1.0')],
          serial: 1,
          privateKeyPem: keys.privateKeyPem,
        }),
    ],
    [
      'an expired index',
      'INDEX_EXPIRED',
      () =>
        publication({
          analyzers: [entry('Alpha', '1.10')],
          serial: 3,
          now: new Date(Date.now() - 40 * 86_400_000),
          expiresInDays: 30,
          privateKeyPem: keys.privateKeyPem,
        }),
    ],
    ['an unsigned index', 'INDEX_UNSIGNED', () => publication({ analyzers: [entry('Alpha', '1.10')], serial: 3 })],
    [
      'a catalog changed after signing',
      'CATALOG_HASH_MISMATCH',
      () => {
        const files = publication({
          analyzers: [entry('Alpha', '1.10')],
          serial: 3,
          privateKeyPem: keys.privateKeyPem,
        });
        const index = JSON.parse((files.get('index.json') ?? Buffer.alloc(0)).toString('utf8')) as {
          catalogs: Record<string, { sha256: string }>;
        };
        return new Map([
          ...files,
          [
            `catalog-${index.catalogs['analyzers.json']?.sha256 ?? ''}.json`,
            Buffer.from(JSON.stringify([entry('Alpha', '1.10', 'evil.example/ns/alpha:1')])),
          ],
        ]);
      },
    ],
  ])('refuses %s with %s, exit 1, the state untouched', async (_what, code, files) => {
    const before = await stateBytes();
    publish(files());
    const run = await update();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(code);
    expect(await stateBytes()).toBe(before);
  });

  it('follows a redirect (a GitHub release download), the ETag included, and never from https to http', async () => {
    publish(publication({ analyzers: [entry('Alpha', '1.0')], serial: 1, privateKeyPem: keys.privateKeyPem }));
    const moved = (...extra: string[]) =>
      runCli(
        [
          'update',
          '--catalog',
          `${server.url}moved/`,
          '--key',
          keyFile,
          '--ca',
          server.caFile,
          '--state',
          path.join(directory, 'moved-state'),
          ...extra,
        ],
        directory,
      );
    let run: Awaited<ReturnType<typeof update>> | undefined;
    const first = await requestsOf(async () => (run = await moved()));
    expect(run?.code, run?.stderr).toBe(0);
    expect(first.slice(0, 2)).toEqual([
      { path: 'moved/index.json', status: 302 },
      { path: 'index.json', status: 200 },
    ]);
    const second = await requestsOf(async () => (run = await moved()));
    expect(second).toEqual([
      { path: 'moved/index.json', status: 302 },
      { path: 'index.json', status: 304 },
    ]);
    expect(run?.stdout).toMatch(/^up to date: .*2 requests\)/);
    const downgrade = await runCli(
      [
        'update',
        '--catalog',
        `${server.url}insecure/`,
        '--ca',
        server.caFile,
        '--state',
        path.join(directory, 'insecure-state'),
      ],
      directory,
    );
    expect(downgrade.code).toBe(3);
    expect(downgrade.stderr).toContain('UPDATE_HTTP');
    expect(downgrade.stderr).toContain('a redirect from https to http is refused');
  });

  it('refuses a downgrade unless --allow-downgrade, naming it', async () => {
    publish(
      publication({
        analyzers: [entry('Alpha', '1.9'), entry('Delta', '0.1')],
        responders: [entry('Gamma', '1.0')],
        serial: 4,
        privateKeyPem: keys.privateKeyPem,
      }),
    );
    const before = await stateBytes();
    const refused = await update();
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/UPDATE_DOWNGRADE: .*Alpha 1\.10 -> 1\.9/);
    expect(refused.stdout).toMatch(/nothing applied/);
    expect(await stateBytes()).toBe(before);
    const allowed = await update('--allow-downgrade');
    expect(allowed.code, allowed.stdout).toBe(0);
    expect(allowed.stdout).toMatch(/downgraded +Alpha_1_9 .*\(was 1\.10\)/);
  });

  it('reads a catalog without an index when no key is given, and says once that it is not verified', async () => {
    const run = await runCli(
      ['update', '--catalog', `${server.url}responders.json`, '--ca', server.caFile, '--state', stateDirectory],
      directory,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.match(/UPDATE_NOT_VERIFIED/g)).toHaveLength(1);
    expect(run.stdout).toMatch(/added +Gamma_1_0/);
  });

  it('fails on a server certificate it does not trust, naming the hop and --ca', async () => {
    const run = await runCli(
      ['update', '--catalog', server.url, '--key', keyFile, '--state', path.join(directory, 'other-state')],
      directory,
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/TLS_UNTRUSTED.*catalog server 127\.0\.0\.1/s);
    expect(run.stderr).toContain('--ca FILE');
  });
});

describe('neurons update --watch', () => {
  it('picks up a new publication within one interval, and an unchanged catalog costs one request per interval', async () => {
    const server = await startCatalogServer();
    const directory = await mkdtemp(path.join(tmpdir(), 'neurons-update-watch-'));
    const keys = generateSigningKeys();
    const keyFile = path.join(directory, 'key.pub');
    await writeFile(keyFile, keys.publicKeyPem);
    const publish = (files: Map<string, Buffer>): void => server.publish(files);
    publish(publication({ analyzers: [entry('Alpha', '1.0')], serial: 1, privateKeyPem: keys.privateKeyPem }));
    try {
      // A new worker is published the moment the first run has printed its report (never in the middle of a run, as a
      // fixed delay did on a loaded machine): the next interval applies it; the last two cost a 304 each.
      let lines = 0;
      const republish = (): void => {
        lines += 1;
        if (lines === 1)
          publish(
            publication({
              analyzers: [entry('Alpha', '1.0'), entry('Omega', '1.0')],
              serial: 2,
              privateKeyPem: keys.privateKeyPem,
            }),
          );
      };
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
          '--watch',
          '--interval',
          '300ms',
          '--max-runs',
          '4',
          '--json',
        ],
        directory,
        {},
        republish,
      );
      expect(run.code, run.stderr).toBe(0);
      const reports = run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { status: string; counts?: { added: number } });
      expect(reports.map((report) => report.status)).toEqual(['updated', 'updated', 'up-to-date', 'up-to-date']);
      expect(reports[1]?.counts?.added).toBe(1);
      const indexRequests = server.requests
        .filter((request) => request.path === 'index.json')
        .map((request) => request.status);
      expect(indexRequests.slice(-2)).toEqual([304, 304]);
      expect(server.requests.slice(-2).every((request) => request.path === 'index.json')).toBe(true);
    } finally {
      await server.close();
    }
  });
});
