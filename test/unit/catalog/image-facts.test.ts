import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageVerifier } from '../../../src/catalog/image-facts.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { mediaTypes, startMemoryRegistry, storeImage, type MemoryRegistry } from '../registry/memory-registry.js';

const labels = (id: string, version: string) => ({
  'io.neurons.worker-id': id,
  'io.neurons.worker-kind': 'analyzer',
  'org.opencontainers.image.version': version,
});

describe('what images say they are', () => {
  let registry: MemoryRegistry;
  let client: RegistryClient;
  const verifier = (known: Parameters<typeof createImageVerifier>[0]['known'] = []) =>
    createImageVerifier({ client, host: registry.host, known, concurrency: 4 });
  /** A manifest list of two platforms, labelled `amd64` and `arm64`, under `tag`. */
  const list = (tag: string, amd64: Record<string, string>, arm64: Record<string, string>) => {
    const platforms = [
      {
        ...storeImage(registry, 'ns/app', amd64, [], { platform: 'linux/amd64' }),
        platform: { os: 'linux', architecture: 'amd64' },
      },
      {
        ...storeImage(registry, 'ns/app', arm64, [], { platform: 'linux/arm64' }),
        platform: { os: 'linux', architecture: 'arm64' },
      },
    ];
    return registry.manifest('ns/app', { schemaVersion: 2, mediaType: mediaTypes.dockerList, manifests: platforms }, [
      tag,
    ]);
  };

  beforeAll(async () => {
    registry = await startMemoryRegistry();
    client = new RegistryClient({ host: registry.host, plainHttp: true });
  });
  afterAll(async () => {
    await client.close();
    await registry.close();
  });

  it('is what every platform of a manifest list says, under the digest of the list', async () => {
    const agreeing = list('agree', labels('App_1_0', '1.0'), labels('App_1_0', '1.0'));
    expect(await verifier().facts(`${registry.host}/ns/app:agree`)).toEqual({
      state: 'labelled',
      digest: agreeing.digest,
      claim: { id: 'App_1_0', kind: 'analyzer', version: '1.0' },
      recorded: { buildInputDigest: undefined, revision: undefined },
    });
    list('disagree', labels('App_1_0', '1.0'), labels('App_0_9', '0.9'));
    expect(await verifier().facts(`${registry.host}/ns/app:disagree`)).toMatchObject({
      state: 'unreadable',
      reason:
        'its platforms disagree: linux/amd64 is App_1_0 (analyzer, version 1.0), linux/arm64 is App_0_9 (analyzer, version 0.9)',
    });
  });

  it('reads each image once, however many tags name it, and not at all when it is known', async () => {
    const image = storeImage(registry, 'ns/app', labels('App_2_0', '2.0'), ['2', '2.0']);
    const reads = verifier();
    registry.counts.blobs = 0;
    const [major, full] = await Promise.all([
      reads.facts(`${registry.host}/ns/app:2`),
      reads.facts(`${registry.host}/ns/app:2.0`),
    ]);
    expect(major).toEqual(full);
    expect(reads.counts).toEqual({ manifests: 2, labelled: 1, known: 0 });
    expect(registry.counts.blobs).toBe(1);
    const trusting = verifier([
      { digest: image.digest, identity: { id: 'App_2_0', kind: 'analyzer', version: '2.0' } },
    ]);
    // Known without a read: the same claim, and nothing recorded (the caller has the inputs of what it knows).
    const { recorded, ...claimed } = major as Extract<typeof major, { state: 'labelled' }>;
    expect(recorded).toEqual({ buildInputDigest: undefined, revision: undefined });
    expect(await trusting.facts(`${registry.host}/ns/app:2`)).toEqual(claimed);
    expect(trusting.counts).toEqual({ manifests: 1, labelled: 0, known: 1 });
    expect(registry.counts.blobs).toBe(1);
  });

  it('gives what the labels record of how the image was made', async () => {
    storeImage(
      registry,
      'ns/app',
      {
        ...labels('App_3_0', '3.0'),
        'io.neurons.build-input-digest': 'sha256:inputs',
        'org.opencontainers.image.revision': 'abc123',
      },
      ['3.0'],
    );
    expect(await verifier().facts(`${registry.host}/ns/app:3.0`)).toMatchObject({
      state: 'labelled',
      recorded: { buildInputDigest: 'sha256:inputs', revision: 'abc123' },
    });
  });

  it('takes a tag this run already read as read: no manifest read, the labels read once by digest', async () => {
    const image = storeImage(registry, 'ns/app', labels('App_4_0', '4.0'), ['4', '4.0']);
    const found = await client.readManifest('ns/app', '4.0');
    if (!found) throw new Error('stored above');
    const observed = ['4', '4.0'].map((tag) => ({ reference: `${registry.host}/ns/app:${tag}`, ...found }));
    const reads = createImageVerifier({ client, host: registry.host, known: [], concurrency: 4, observed });
    registry.counts.manifests = 0;
    const facts = await Promise.all([
      reads.facts(`${registry.host}/ns/app:4`),
      reads.facts(`${registry.host}/ns/app:4.0`),
    ]);
    expect(facts.map((item) => item.state === 'labelled' && [item.digest, item.claim.id])).toEqual([
      [image.digest, 'App_4_0'],
      [image.digest, 'App_4_0'],
    ]);
    expect(registry.counts.manifests).toBe(0);
    expect(reads.counts).toEqual({ manifests: 0, labelled: 1, known: 0 });
    // A tag not observed is read as before.
    expect(await reads.facts(`${registry.host}/ns/app:2.0`)).toMatchObject({ state: 'labelled' });
    expect(registry.counts.manifests).toBe(1);
  });

  it('takes a tag this run put on an image it knows as read, and reads any other tag', async () => {
    const image = storeImage(registry, 'ns/app', labels('App_5_0', '5.0'), ['5', '5.0']);
    const identity = { id: 'App_5_0', kind: 'analyzer' as const, version: '5.0' };
    const tagged = ['5', '5.0'].map((tag) => ({ reference: `${registry.host}/ns/app:${tag}`, digest: image.digest }));
    const reads = createImageVerifier({
      client,
      host: registry.host,
      known: [{ digest: image.digest, identity }],
      concurrency: 4,
      tagged,
    });
    registry.counts.manifests = 0;
    registry.counts.blobs = 0;
    expect(await reads.facts(`${registry.host}/ns/app:5`)).toEqual({
      state: 'labelled',
      digest: image.digest,
      claim: identity,
    });
    expect(await reads.facts(`${registry.host}/ns/app:5.0`)).toEqual({
      state: 'labelled',
      digest: image.digest,
      claim: identity,
    });
    expect(registry.counts.manifests + registry.counts.blobs).toBe(0);
    // A tag put on a digest it does not know (another image) is read, as is a tag it did not put.
    const other = createImageVerifier({
      client,
      host: registry.host,
      known: [],
      concurrency: 4,
      tagged,
    });
    expect(await other.facts(`${registry.host}/ns/app:5.0`)).toMatchObject({ state: 'labelled', digest: image.digest });
    expect(await reads.facts(`${registry.host}/ns/app:2.0`)).toMatchObject({ state: 'labelled' });
    expect(registry.counts.manifests).toBe(2);
  });

  it('says an image is missing, or on a registry it does not read', async () => {
    expect(await verifier().facts(`${registry.host}/ns/app:9`)).toEqual({ state: 'missing' });
    expect(await verifier().facts('ghcr.io/ns/app:1')).toEqual({ state: 'elsewhere' });
  });
});
