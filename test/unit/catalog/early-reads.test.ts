import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogReferences } from '../../../src/catalog/assemble-catalogs.js';
import { catalogWorkers } from '../../../src/catalog/catalog-workers.js';
import { discoverRepository } from '../../../src/definitions/discover.js';
import type { PipelineOptions, PipelineReport } from '../../../src/pipeline-context.js';
import { catalogObservations, readCatalogTagsEarly } from '../../../src/pipeline-catalog.js';
import type { FlavorDecision } from '../../../src/plan/decide.js';
import { RegistryClientPool } from '../../../src/registry/client-pool.js';
import type { ResolvedRegistry } from '../../../src/registry/endpoint.js';
import { testConfig } from '../../helpers/config.js';
import { storeImage, useMemoryRegistry } from '../registry/memory-registry.js';

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../analyzers-fixture');

describe("the catalog's reads of what detection did not read", () => {
  const memory = useMemoryRegistry();

  it('reads the tags of the flavors git left alone, once each, and hands on those of flavors still unchanged', async () => {
    const { registry } = memory;
    const primary: ResolvedRegistry = {
      host: registry.host,
      namespace: 'acme',
      credentials: undefined,
      ca: [],
      plainHttp: true,
      insecure: false,
    };
    const discovery = await discoverRepository(fixture, { definitionsOnly: true });
    const slots = catalogReferences(catalogWorkers(discovery), primary, 'stable');
    const ids = [...new Set(slots.map((slot) => slot.id))];
    const [alone, built, observed, failed] = ids;
    if (!alone || !built || !observed || !failed) throw new Error('the fixture has at least four flavors');
    const split = (reference: string): { repository: string; tag: string } => {
      const [repository = '', tag = ''] = reference.slice(registry.host.length + 1).split(':');
      return { repository, tag };
    };
    // The flavors git left alone are in the registry; so is the one detection read, and read then.
    const stored = (id: string) =>
      slots
        .filter((slot) => slot.id === id)
        .map((slot) => {
          const { repository, tag } = split(slot.reference);
          return { reference: slot.reference, ...storeImage(registry, repository, { id }, [tag]) };
        });
    const aloneImages = stored(alone);
    const observedImages = stored(observed);
    const failedImages = stored(failed);
    const decisions = new Map<string, FlavorDecision>([
      [built, { action: 'build', reasons: ['new'], pushes: [] }],
      [
        observed,
        {
          action: 'skip',
          reasons: [],
          pushes: [],
          observed: await Promise.all(
            observedImages.map(async ({ reference }) => {
              const { repository, tag } = split(reference);
              const read = await memory.client.readManifest(repository, tag);
              if (!read) throw new Error('stored above');
              return { reference, ...read };
            }),
          ),
        },
      ],
    ]);
    const options = {
      config: { ...testConfig, registries: [primary], channel: 'stable' },
      catalog: true,
      local: false,
    } as unknown as PipelineOptions;
    const clients = new RegistryClientPool();
    registry.counts.manifests = 0;
    const early = await readCatalogTagsEarly(options, discovery, decisions, clients);
    await clients.close();
    // Every slot but those of the flavor being built and of the one detection read, once; the missing ones are left
    // to the catalog stage.
    const unread = slots.filter((slot) => slot.id !== built && slot.id !== observed);
    expect(registry.counts.manifests).toBe(unread.length);
    expect(early.map((item) => [item.id, item.observed.reference, item.observed.digest]).sort()).toEqual(
      [
        ...aloneImages.map((image) => [alone, image.reference, image.digest]),
        ...failedImages.map((image) => [failed, image.reference, image.digest]),
      ].sort(),
    );
    // The catalog takes as read what is still unchanged at the end of the run: not the flavor that failed since.
    const report = {
      outcomes: [
        { id: alone, status: 'unchanged', images: [] },
        { id: observed, status: 'unchanged', images: [] },
        { id: built, status: 'pushed', images: [] },
        { id: failed, status: 'failed', images: [] },
      ],
    } as unknown as PipelineReport;
    expect(
      catalogObservations(decisions, report, early)
        .map((item) => item.reference)
        .sort(),
    ).toEqual([...aloneImages, ...observedImages].map((image) => image.reference).sort());
  });

  it('reads nothing for a run without a catalog, or in local mode', async () => {
    const discovery = await discoverRepository(fixture, { definitionsOnly: true });
    const clients = new RegistryClientPool();
    const primary = {
      host: memory.registry.host,
      namespace: 'acme',
      credentials: undefined,
      ca: [],
      plainHttp: true,
      insecure: false,
    };
    memory.registry.counts.manifests = 0;
    for (const flags of [
      { catalog: false, local: false },
      { catalog: true, local: true },
    ]) {
      const options = { config: { ...testConfig, registries: [primary] }, ...flags } as unknown as PipelineOptions;
      expect(await readCatalogTagsEarly(options, discovery, new Map(), clients)).toEqual([]);
    }
    expect(memory.registry.counts.manifests).toBe(0);
    await clients.close();
  });
});
