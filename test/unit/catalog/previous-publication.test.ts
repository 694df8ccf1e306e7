import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogWorkers } from '../../../src/catalog/catalog-workers.js';
import { produceCatalogs } from '../../../src/catalog/produce-catalogs.js';
import type { Channel } from '../../../src/config/load-config.js';
import { discoverRepository } from '../../../src/definitions/discover.js';
import { folderTarget } from '../../../src/publish/targets.js';

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../analyzers-fixture');

async function publish(targets: string[], channel: Channel): Promise<{ serial: number; catalogs: string[] }> {
  const discovery = await discoverRepository(fixture, { definitionsOnly: true });
  const result = await produceCatalogs({
    workers: catalogWorkers(discovery),
    registry: { host: 'registry.example', namespace: 'acme' },
    client: undefined,
    channel,
    targets: targets.map((directory) => folderTarget(directory)),
    signingKey: undefined,
    allowUnsigned: false,
    expiresInDays: 30,
    buildInputDigests: new Map(),
    revisions: new Map(),
    pushed: [],
    now: new Date(),
  });
  return { serial: result.index.serial, catalogs: Object.keys(result.index.catalogs).sort() };
}

describe('the previous publication', () => {
  it('is read from the target with the highest serial: an empty --out folder on a fresh runner loses nothing', async () => {
    const published = await mkdtemp(path.join(tmpdir(), 'neurons-published-'));
    expect((await publish([published], 'stable')).serial).toBe(1);
    expect((await publish([published], 'devel')).serial).toBe(2);
    // A fresh CI workspace: the --out folder is empty, the publish target holds serial 2 and both channels.
    const freshOut = await mkdtemp(path.join(tmpdir(), 'neurons-out-'));
    const third = await publish([freshOut, published], 'stable');
    expect(third.serial).toBe(3);
    // The devel catalogs, not rewritten by a stable run, are still covered by the index.
    expect(third.catalogs).toEqual([
      'analyzers-devel.json',
      'analyzers-stable.json',
      'analyzers.json',
      'responders-devel.json',
      'responders-stable.json',
      'responders.json',
    ]);
    const index = JSON.parse(await readFile(path.join(published, 'index.json'), 'utf8')) as { serial: number };
    expect(index.serial).toBe(3);
  });

  it('is the out folder when it is the most recent, whatever the order of the targets', async () => {
    const stale = await mkdtemp(path.join(tmpdir(), 'neurons-stale-'));
    const current = await mkdtemp(path.join(tmpdir(), 'neurons-current-'));
    await writeFile(
      path.join(stale, 'index.json'),
      JSON.stringify({ format: 'neurons-catalog-index/1', serial: 4, flavors: [], catalogs: {} }),
    );
    await writeFile(
      path.join(current, 'index.json'),
      JSON.stringify({ format: 'neurons-catalog-index/1', serial: 9, flavors: [], catalogs: {} }),
    );
    expect((await publish([stale, current], 'stable')).serial).toBe(10);
  });
});
