import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/registry/client.js';
import { contentStore, storedBlobLimit, type ContentStore } from '../../../src/registry/content-store.js';
import { mediaTypes, sha256, startMemoryRegistry, storeImage, type MemoryRegistry } from './memory-registry.js';

describe('what digests name, kept between runs', () => {
  let directory: string;
  let store: ContentStore;
  let registry: MemoryRegistry;
  beforeAll(async () => {
    registry = await startMemoryRegistry();
  });
  afterAll(async () => {
    await registry.close();
  });
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'neurons-content-'));
    store = contentStore(directory);
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('gives back what it kept, checked against its digest: a damaged file is dropped', async () => {
    const bytes = Buffer.from('{"schemaVersion":2}\n{"second line"}');
    const digest = sha256(bytes);
    await store.put(digest, { bytes, mediaType: mediaTypes.ociManifest });
    expect(await store.get(digest)).toEqual({ bytes, mediaType: mediaTypes.ociManifest });
    const file = path.join(directory, 'sha256', digest.slice('sha256:'.length));
    await writeFile(file, `${mediaTypes.ociManifest}\n{"schemaVersion":3}`);
    expect(await store.get(digest)).toBeUndefined();
    expect(await readdir(path.join(directory, 'sha256'))).toEqual([]);
  });

  it('keeps nothing under a digest its bytes do not have, nor a layer, nor under another algorithm', async () => {
    const bytes = Buffer.from('config');
    await store.put(sha256('other'), { bytes, mediaType: '' });
    const large = Buffer.alloc(storedBlobLimit + 1, 1);
    await store.put(sha256(large), { bytes: large, mediaType: '' });
    await store.put(`sha512:${'0'.repeat(128)}`, { bytes, mediaType: '' });
    await store.put('sha256:../../escape', { bytes, mediaType: '' });
    expect(await readdir(directory)).toEqual([]);
    expect(await store.get(sha256('other'))).toBeUndefined();
  });

  it('lets a client read a manifest and a configuration by digest once; a tag is always asked', async () => {
    const image = storeImage(registry, 'ns/kept', { 'org.opencontainers.image.version': '1.0' }, ['1.0'], {
      oci: true,
    });
    const read = async () => {
      const client = new RegistryClient({ host: registry.host, plainHttp: true, content: store });
      try {
        const byTag = await client.getImageConfig('ns/kept', '1.0');
        const byDigest = await client.readManifest('ns/kept', image.digest, { named: true });
        // Not named by a manifest just read: whether the repository holds it is the registry's to say.
        const asked = await client.readManifest('ns/kept', image.digest);
        return { byTag, byDigest, asked };
      } finally {
        await client.close();
      }
    };
    const before = { ...registry.counts };
    const first = await read();
    const afterFirst = { ...registry.counts };
    const second = await read();
    expect(second).toEqual(first);
    expect(first.byTag?.config.config?.Labels).toEqual({ 'org.opencontainers.image.version': '1.0' });
    // The first run reads the tag, the named digest, the digest asked outright and the configuration; the second the
    // tag and the digest asked outright: the named read and the configuration are kept.
    expect(afterFirst.manifests - before.manifests).toBe(3);
    expect(afterFirst.blobs - before.blobs).toBe(1);
    expect(registry.counts.manifests - afterFirst.manifests).toBe(2);
    expect(registry.counts.blobs - afterFirst.blobs).toBe(0);
  });
});
