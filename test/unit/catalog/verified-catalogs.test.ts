import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assembleCatalogs, type CatalogEntry } from '../../../src/catalog/assemble-catalogs.js';
import type { Flavor, WorkerFolder } from '../../../src/definitions/types.js';
import { createWorkerId } from '../../../src/definitions/version.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { startMemoryRegistry, storeImage, type MemoryRegistry } from '../registry/memory-registry.js';

// The catalog stage against a registry whose tags do not all name their own version: the catalogs must pair each
// definition with an image whose labels say it is that definition, reading each configuration once.

function flavor(name: string, version: string): Flavor {
  return {
    file: `analyzers/HashCalc/${name}.json`,
    id: createWorkerId(name, version),
    definition: {
      name,
      version,
      author: 'a',
      url: 'u',
      license: 'l',
      description: 'd',
      dataTypeList: [],
      command: 'HashCalc/hashcalc.py',
      baseConfig: 'HashCalc',
    },
  };
}
const labels = (name: string, version: string) => ({
  'io.neurons.worker-id': createWorkerId(name, version),
  'io.neurons.worker-kind': 'analyzer',
  'org.opencontainers.image.version': version,
});

describe('catalogs verified against image labels', () => {
  let registry: MemoryRegistry;
  let client: RegistryClient;
  let md5v10: string;
  const worker: WorkerFolder = {
    kind: 'analyzer',
    directory: 'HashCalc',
    path: 'analyzers/HashCalc',
    runtime: 'python',
    flavors: [flavor('HashCalc_MD5', '1.1'), flavor('HashCalc_SHA1', '1.0')],
    definitionFiles: [],
    errorCount: 0,
  };
  const image = (name: string, tag: string): string => `${registry.host}/ns/${name.toLowerCase()}:${tag}`;
  const previous = (): Map<string, CatalogEntry[]> =>
    new Map([
      [
        'analyzers.json',
        [
          { name: 'HashCalc_MD5', version: '1.0', dockerImage: image('HashCalc_MD5', '1') },
          { name: 'HashCalc_SHA1', version: '1.0', dockerImage: image('HashCalc_SHA1', '1') },
        ],
      ],
      [
        'analyzers-stable.json',
        [
          { name: 'HashCalc_MD5', version: '1.0', dockerImage: image('HashCalc_MD5', '1.0') },
          { name: 'HashCalc_SHA1', version: '1.0', dockerImage: image('HashCalc_SHA1', '1.0') },
        ],
      ],
    ]);
  const assemble = (known: Parameters<typeof assembleCatalogs>[0]['known'] = []) =>
    assembleCatalogs({
      workers: [worker],
      registry: { host: registry.host, namespace: 'ns' },
      client,
      channel: 'stable',
      previous: previous(),
      known,
    });

  beforeAll(async () => {
    registry = await startMemoryRegistry();
    client = new RegistryClient({ host: registry.host, plainHttp: true });
    // HashCalc_MD5 1.1 was never pushed: its major tag still names the 1.0 image.
    md5v10 = storeImage(registry, 'ns/hashcalc_md5', labels('HashCalc_MD5', '1.0'), ['1', '1.0']).digest;
    storeImage(registry, 'ns/hashcalc_sha1', labels('HashCalc_SHA1', '1.0'), ['1', '1.0']);
  });
  afterAll(async () => {
    await client.close();
    await registry.close();
  });
  beforeEach(() => {
    registry.counts.manifests = 0;
    registry.counts.blobs = 0;
  });

  it('keeps 1.0 with the 1.0 image in both catalogs instead of pairing the 1.1 definition with it', async () => {
    const result = await assemble();
    expect(result.catalogs.get('analyzers.json')).toEqual(
      previous()
        .get('analyzers.json')
        ?.slice(0, 1)
        .concat([
          expect.objectContaining({ name: 'HashCalc_SHA1', version: '1.0', dockerImage: image('HashCalc_SHA1', '1') }),
        ]),
    );
    expect(
      result.catalogs.get('analyzers-stable.json')?.map((entry) => [entry['version'], entry['dockerImage']]),
    ).toEqual([
      ['1.0', image('HashCalc_MD5', '1.0')],
      ['1.0', image('HashCalc_SHA1', '1.0')],
    ]);
    expect(result.kept.map((problem) => problem.message)).toEqual([
      expect.stringMatching(
        /hashcalc_md5:1 is HashCalc_MD5_1_0 \(analyzer, version 1\.0\) by its labels, not HashCalc_MD5_1_1 .*analyzers\.json keeps the previous entry/,
      ),
      expect.stringMatching(
        /hashcalc_md5:1\.1 is not in the registry: analyzers-stable\.json keeps the previous entry, HashCalc_MD5_1_0/,
      ),
    ]);
    expect(result.missing).toEqual([]);
    // The index: every record names the id its image's labels say, with the digest read.
    expect(result.records.filter((record) => record.name === 'HashCalc_MD5')).toEqual([
      expect.objectContaining({ id: 'HashCalc_MD5_1_0', version: '1.0', digest: md5v10, verified: true, kept: true }),
      expect.objectContaining({ id: 'HashCalc_MD5_1_0', version: '1.0', digest: md5v10, verified: true, kept: true }),
    ]);
    // Five references read (the four entries' images, and the stable catalog's previous `1.0`: the default catalog's
    // previous image is the same `1` already read), and two configurations: one per image, whatever its tags.
    expect(registry.counts).toEqual({ manifests: 5, blobs: 2 });
  });

  it('reads no configuration for an image it already knows', async () => {
    const sha1 = await client.readManifest('ns/hashcalc_sha1', '1');
    const result = await assemble([
      { digest: md5v10, identity: { id: 'HashCalc_MD5_1_0', kind: 'analyzer', version: '1.0' } },
      { digest: sha1?.digest ?? '', identity: { id: 'HashCalc_SHA1_1_0', kind: 'analyzer', version: '1.0' } },
    ]);
    expect(result.kept).toHaveLength(2);
    expect(registry.counts.blobs).toBe(0);
  });

  it('gives a previous entry to one definition only', async () => {
    // Two unpublished definitions of one worker (1.1 and 2.0): the 1.0 entry stands in for the one at its tag only.
    const two: WorkerFolder = { ...worker, flavors: [flavor('HashCalc_MD5', '1.1'), flavor('HashCalc_MD5', '2.0')] };
    const result = await assembleCatalogs({
      workers: [two],
      registry: { host: registry.host, namespace: 'ns' },
      client,
      channel: 'stable',
      previous: previous(),
      known: [],
    });
    expect(
      result.catalogs.get('analyzers.json')?.map((entry) => `${String(entry['name'])} ${String(entry['version'])}`),
    ).toEqual(['HashCalc_MD5 1.0']);
    expect(result.missing.map((problem) => problem.message)).toEqual([
      expect.stringMatching(/hashcalc_md5:2 is not in the registry: left out of analyzers\.json$/),
      expect.stringMatching(/hashcalc_md5:2\.0 is not in the registry: left out of analyzers-stable\.json$/),
    ]);
  });

  it('leaves out an entry whose tag names another flavor, when the previous image is no longer its own', async () => {
    // Someone pushed HashCalc_SHA1 under hashcalc_md5's tags: neither the new definition nor the old entry has its image.
    storeImage(registry, 'ns/hashcalc_md5', labels('HashCalc_SHA1', '1.0'), ['1', '1.0']);
    const result = await assemble();
    expect(result.catalogs.get('analyzers.json')?.map((entry) => entry['name'])).toEqual(['HashCalc_SHA1']);
    expect(result.missing.map((problem) => problem.code)).toEqual(['CATALOG_IMAGE_MISMATCH', 'CATALOG_IMAGE_MISSING']);
    expect(result.missing[0]?.message).toMatch(
      /hashcalc_md5:1 is HashCalc_SHA1_1_0 .* left out of analyzers\.json; the previous entry was not kept: .*hashcalc_md5:1 is HashCalc_SHA1_1_0 .*, not HashCalc_MD5_1_0/,
    );
    expect(result.records.map((record) => record.id)).toEqual(['HashCalc_SHA1_1_0', 'HashCalc_SHA1_1_0']);
  });
});
