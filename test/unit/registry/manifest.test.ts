import { describe, expect, it } from 'vitest';
import { parseManifest, platformName, runnableManifests, type Descriptor } from '../../../src/registry/manifest.js';
import { mediaTypes } from './memory-registry.js';

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const descriptor = (mediaType: string, digest: string, extra: Partial<Descriptor> = {}): Descriptor => ({
  mediaType,
  digest,
  size: 1,
  ...extra,
});

describe('manifests as registries serve them', () => {
  it('reads Docker v2 schema 2 and OCI image manifests: their configuration and layers', () => {
    const config = descriptor(mediaTypes.dockerConfig, 'sha256:c');
    const docker = parseManifest(
      json({ schemaVersion: 2, mediaType: mediaTypes.dockerManifest, config, layers: [descriptor('l', 'sha256:l')] }),
      mediaTypes.dockerManifest,
    );
    expect(docker).toEqual({
      kind: 'image',
      mediaType: mediaTypes.dockerManifest,
      config,
      layers: [descriptor('l', 'sha256:l')],
    });
    // An OCI manifest need not say its media type in the body: the header does (with parameters).
    const oci = parseManifest(
      json({ schemaVersion: 2, config: descriptor(mediaTypes.ociConfig, 'sha256:o'), layers: [] }),
      `${mediaTypes.ociManifest}; charset=utf-8`,
    );
    expect(oci).toMatchObject({ kind: 'image', mediaType: mediaTypes.ociManifest, config: { digest: 'sha256:o' } });
  });

  it('reads a Docker manifest list and an OCI index, platforms included', () => {
    const amd64 = descriptor(mediaTypes.dockerManifest, 'sha256:a', {
      platform: { os: 'linux', architecture: 'amd64' },
    });
    const arm64 = descriptor(mediaTypes.dockerManifest, 'sha256:b', {
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    });
    expect(
      parseManifest(
        json({ schemaVersion: 2, mediaType: mediaTypes.dockerList, manifests: [amd64, arm64] }),
        mediaTypes.dockerList,
      ),
    ).toEqual({ kind: 'index', mediaType: mediaTypes.dockerList, manifests: [amd64, arm64] });
    // The body's media type wins over a header a proxy rewrote.
    expect(
      parseManifest(json({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [amd64] }), 'application/json'),
    ).toMatchObject({ kind: 'index', mediaType: mediaTypes.ociIndex });
    expect(platformName(arm64.platform)).toBe('linux/arm64/v8');
    expect(platformName(undefined)).toBe('?');
  });

  it('leaves out the attestation manifests BuildKit adds to an index', () => {
    const image = descriptor(mediaTypes.ociManifest, 'sha256:a', { platform: { os: 'linux', architecture: 'amd64' } });
    const attestation = descriptor(mediaTypes.ociManifest, 'sha256:b', {
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': 'sha256:a' },
    });
    expect(runnableManifests([image, attestation])).toEqual([image]);
  });

  it('says why a manifest cannot be read as an image', () => {
    expect(
      parseManifest(
        json({ schemaVersion: 1, name: 'ns/app', tag: '1', fsLayers: [] }),
        'application/vnd.docker.distribution.manifest.v1+prettyjws',
      ),
    ).toMatchObject({ kind: 'unsupported', reason: expect.stringContaining('schema 1') });
    expect(parseManifest(Buffer.from('<html>'), 'text/html')).toMatchObject({
      kind: 'unsupported',
      reason: 'the manifest is not JSON',
    });
    expect(parseManifest(json([1]), mediaTypes.ociManifest)).toMatchObject({
      kind: 'unsupported',
      reason: 'the manifest is not a JSON object',
    });
    expect(
      parseManifest(json({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [{ size: 1 }] }), ''),
    ).toMatchObject({ kind: 'unsupported', reason: expect.stringContaining('not all descriptors') });
    expect(parseManifest(json({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, layers: [] }), '')).toMatchObject({
      kind: 'unsupported',
      reason: expect.stringContaining('not an image manifest'),
    });
  });
});
