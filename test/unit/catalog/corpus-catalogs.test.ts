import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogWorkers } from '../../../src/catalog/catalog-workers.js';
import { produceCatalogs } from '../../../src/catalog/produce-catalogs.js';
import { discoverRepository } from '../../../src/definitions/discover.js';
import { folderTarget } from '../../../src/publish/targets.js';

// Optional: the real Cortex-Analyzers definitions beside the clone. Nothing else depends on them.
const corpus =
  process.env['NEURONS_CORPUS'] ??
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/corpus/cortex-analyzers');

describe.skipIf(!existsSync(corpus))('engine catalogs of the Cortex-Analyzers definitions', () => {
  it('hold every flavor, each entry its definition minus command plus dockerImage, with the tag rules', async () => {
    const discovery = await discoverRepository(corpus, { definitionsOnly: true });
    const out = await mkdtemp(path.join(tmpdir(), 'neurons-corpus-catalogs-'));
    await produceCatalogs({
      workers: catalogWorkers(discovery),
      registry: { host: 'ghcr.io', namespace: 'thehive-project' },
      client: undefined,
      channel: 'stable',
      targets: [folderTarget(out)],
      signingKey: undefined,
      allowUnsigned: false,
      expiresInDays: 30,
      buildInputDigests: new Map(),
      revisions: new Map(),
      pushed: [],
      now: new Date(),
    });
    for (const [kind, count] of [
      ['analyzers', 275],
      ['responders', 156],
    ] as const) {
      const flavors = discovery.workers
        .filter((worker) => `${worker.kind}s` === kind)
        .flatMap((worker) => worker.flavors);
      for (const [file, tagOf] of [
        [`${kind}.json`, (version: string) => version.split('.')[0]],
        [`${kind}-stable.json`, (version: string) => version],
      ] as const) {
        const entries = JSON.parse(await readFile(path.join(out, file), 'utf8')) as Array<Record<string, unknown>>;
        expect(entries, file).toHaveLength(count);
        for (const [index, entry] of entries.entries()) {
          const { definition } = flavors[index] ?? { definition: undefined };
          const raw = JSON.parse(await readFile(path.join(corpus, flavors[index]?.file ?? ''), 'utf8')) as Record<
            string,
            unknown
          >;
          expect(definition?.name).toBe(entry['name']);
          const expected: Record<string, unknown> = {};
          for (const [field, value] of Object.entries(raw)) if (field !== 'command') expected[field] = value;
          expected['dockerImage'] =
            `ghcr.io/thehive-project/${String(raw['name']).toLowerCase()}:${tagOf(String(raw['version']))}`;
          expect(entry).toEqual(expected);
          expect(Object.keys(entry)).toEqual(Object.keys(expected));
        }
      }
    }
  });
});
