import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NeuronsError } from '../../../src/errors/neurons-error.js';
import { ensureBlob, hasManifest, putManifest } from '../../../src/oci/write.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { startOciRegistry, type OciRegistry } from '../../helpers/oci-registry.js';

const layerType = 'application/vnd.oci.image.layer.v1.tar+gzip';
const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const blob = (text: string) => {
  const bytes = Buffer.from(text);
  return { bytes, descriptor: { mediaType: layerType, digest: sha256(bytes), size: bytes.length } };
};

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof NeuronsError ? error.code : String(error);
  }
  return undefined;
}

describe('writing blobs and manifests (token service: one token per request, for exactly the scopes asked)', () => {
  let registry: OciRegistry;
  let client: RegistryClient;
  beforeEach(async () => {
    registry = await startOciRegistry({ token: true });
    client = new RegistryClient({
      host: registry.host,
      plainHttp: true,
      credentials: { username: 'u', password: 'p' },
    });
  });
  afterEach(async () => {
    await client.close();
    await registry.close();
  });
  const writes = () => registry.log.filter((line) => /^(POST|PUT|PATCH|DELETE) /.test(line));

  it('finds a blob the repository has: present, nothing written', async () => {
    const { bytes, descriptor } = blob('present');
    registry.seedBlob('team/image', bytes, layerType);
    expect(await ensureBlob(client, 'team/image', descriptor, { bytes })).toBe('present');
    expect(writes()).toEqual([]);
  });

  it('asks a mount first when it has a repository to mount from, and a HEAD only when no mount takes', async () => {
    const { bytes, descriptor } = blob('present');
    registry.seedBlob('team/image', bytes, layerType);
    registry.seedBlob('base/python', bytes, layerType);
    // The repository holds it and so does the one to mount from: one request, the mount, and no HEAD.
    const before = registry.log.length;
    expect(await ensureBlob(client, 'team/image', descriptor, { mountFrom: ['base/python'] })).toBe('mounted');
    expect(registry.log.slice(before).filter((line) => /^(HEAD|POST|PUT|PATCH|DELETE) /.test(line))).toEqual([
      expect.stringMatching(/^POST \/v2\/team\/image\/blobs\/uploads\/\?mount=.*&from=base%2Fpython$/),
    ]);
    // The repository to mount from lacks it (deleted since): the refused mount's session is closed, then a HEAD
    // finds it here, and nothing is uploaded.
    const after = registry.log.length;
    expect(await ensureBlob(client, 'team/image', descriptor, { mountFrom: ['base/empty'] })).toBe('present');
    expect(registry.log.slice(after).filter((line) => /^(HEAD|POST|PUT|PATCH|DELETE) /.test(line))).toEqual([
      expect.stringMatching(/^POST .*from=base%2Fempty$/),
      expect.stringMatching(/^DELETE \/v2\/team\/image\/blobs\/uploads\//),
      expect.stringMatching(/^HEAD \/v2\/team\/image\/blobs\/sha256:/),
    ]);
  });

  it('mounts from the first repository that has it, with one token covering both, and cancels the sessions refused mounts open', async () => {
    const { descriptor } = blob('base layer');
    registry.seedBlob('base/python', 'base layer', layerType);
    expect(await ensureBlob(client, 'team/image', descriptor, { mountFrom: ['base/empty', 'base/python'] })).toBe(
      'mounted',
    );
    expect(registry.hasBlob('team/image', descriptor.digest)).toBe(true);
    expect(registry.log).toContain('TOKEN repository:team/image:pull,push | repository:base/python:pull');
    const [refused, mounted, ...rest] = writes();
    expect(refused).toMatch(/^POST \/v2\/team\/image\/blobs\/uploads\/\?mount=.*&from=base%2Fempty$/);
    expect(mounted).toMatch(/^DELETE \/v2\/team\/image\/blobs\/uploads\/[0-9a-f-]+$/);
    expect(rest).toHaveLength(1);
    expect(rest[0]).toMatch(/from=base%2Fpython$/);
    // Again: the repository has it now, and the mount says so.
    expect(await ensureBlob(client, 'team/image', descriptor, { mountFrom: ['base/python'] })).toBe('mounted');
    expect(writes().filter((line) => /^(PUT|PATCH) /.test(line))).toEqual([]);
  });

  it('uploads into the session a refused mount opened, when it has the bytes', async () => {
    const { bytes, descriptor } = blob('new layer');
    expect(await ensureBlob(client, 'team/image', descriptor, { bytes, mountFrom: ['base/python'] })).toBe('uploaded');
    expect(registry.hasBlob('team/image', descriptor.digest)).toBe(true);
    const posts = writes().filter((line) => line.startsWith('POST'));
    expect(posts).toHaveLength(1);
    expect(writes().filter((line) => line.startsWith('PUT'))).toHaveLength(1);
  });

  it('uploads (POST then PUT with the digest) when there is nothing to mount from', async () => {
    const { bytes, descriptor } = blob('config');
    expect(await ensureBlob(client, 'team/image', descriptor, { bytes })).toBe('uploaded');
    expect(writes()).toEqual([
      expect.stringMatching(/^POST \/v2\/team\/image\/blobs\/uploads\/$/),
      expect.stringMatching(/^PUT .*digest=sha256%3A/),
    ]);
    expect(registry.hasBlob('team/image', descriptor.digest)).toBe(true);
  });

  it('uploads bytes it is told are fresh without a HEAD first, and again changes nothing', async () => {
    const { bytes, descriptor } = blob('a configuration');
    for (const _ of [1, 2])
      expect(await ensureBlob(client, 'team/image', descriptor, { bytes, fresh: true })).toBe('uploaded');
    expect(registry.log.filter((line) => /^(HEAD|POST|PUT|PATCH|DELETE) /.test(line))).toEqual([
      expect.stringMatching(/^POST \/v2\/team\/image\/blobs\/uploads\/$/),
      expect.stringMatching(/^PUT .*digest=sha256%3A/),
      expect.stringMatching(/^POST \/v2\/team\/image\/blobs\/uploads\/$/),
      expect.stringMatching(/^PUT .*digest=sha256%3A/),
    ]);
    expect(registry.hasBlob('team/image', descriptor.digest)).toBe(true);
  });

  it('says BLOB_UNAVAILABLE when it has neither bytes nor a repository to mount from', async () => {
    const { descriptor } = blob('nowhere');
    expect(await codeOf(ensureBlob(client, 'team/image', descriptor, {}))).toBe('BLOB_UNAVAILABLE');
    expect(await codeOf(ensureBlob(client, 'team/image', descriptor, { mountFrom: ['base/python'] }))).toBe(
      'BLOB_UNAVAILABLE',
    );
    expect(writes().filter((line) => line.startsWith('DELETE'))).toHaveLength(1);
    expect(registry.hasBlob('team/image', descriptor.digest)).toBe(false);
  });

  it('puts manifests by tag and by digest, and tells what a repository has', async () => {
    const config = registry.seedBlob('team/image', '{}', 'application/vnd.oci.image.config.v1+json');
    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [] }),
    );
    expect(await hasManifest(client, 'team/image', 'v1')).toBeUndefined();
    const digest = await putManifest(
      client,
      'team/image',
      sha256(manifest),
      manifest,
      'application/vnd.oci.image.manifest.v1+json',
    );
    expect(digest).toBe(sha256(manifest));
    expect(await putManifest(client, 'team/image', 'v1', manifest, 'application/vnd.oci.image.manifest.v1+json')).toBe(
      digest,
    );
    expect(registry.manifest('team/image', 'v1')?.bytes.equals(manifest)).toBe(true);
    for (const reference of ['v1', digest])
      expect(await hasManifest(client, 'team/image', reference)).toEqual({
        digest,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
      });
    // A manifest naming a blob the repository lacks is refused by the registry, and the refusal is reported.
    const dangling = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: blob('missing').descriptor,
        layers: [],
      }),
    );
    expect(
      await codeOf(putManifest(client, 'team/image', 'v2', dangling, 'application/vnd.oci.image.manifest.v1+json')),
    ).toBe('REGISTRY_HTTP');
  });
});

describe('a registry that stores a manifest under another digest than its bytes', () => {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(201, { 'docker-content-digest': `sha256:${'0'.repeat(64)}` }).end());
  });
  let host = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => void server.close());

  it('is caught: MANIFEST_DIGEST_MISMATCH', async () => {
    const client = new RegistryClient({ host, plainHttp: true });
    expect(
      await codeOf(
        putManifest(
          client,
          'team/image',
          'v1',
          Buffer.from('{"schemaVersion":2}'),
          'application/vnd.oci.image.manifest.v1+json',
        ),
      ),
    ).toBe('MANIFEST_DIGEST_MISMATCH');
    await client.close();
  });
});
