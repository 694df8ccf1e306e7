import { pullScope as pull, pushScope as push, uploadBlob } from './blob-upload.js';
import { digestOf, type RegistryClient } from './client.js';
import { platformName, type Descriptor, type Platform } from './manifest.js';

export type { Descriptor } from './manifest.js';

/** An OCI image manifest used as an artifact (OCI 1.1 `artifactType`; a config media type of its own for 1.0). */
export interface ArtifactManifest {
  schemaVersion: 2;
  mediaType: 'application/vnd.oci.image.manifest.v1+json';
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export const manifestMediaType = 'application/vnd.oci.image.manifest.v1+json';
export const titleAnnotation = 'org.opencontainers.image.title';

export { digestOf } from './client.js';

/** The file name a layer carries (`org.opencontainers.image.title`), or '' when it has none. */
export const titleOf = (descriptor: Descriptor): string => descriptor.annotations?.[titleAnnotation] ?? '';

/** The layer titled `title`, if the manifest has one. */
export function layerTitled(manifest: ArtifactManifest | undefined, title: string): Descriptor | undefined {
  return manifest?.layers.find((layer) => titleOf(layer) === title);
}

/** The manifest under `reference` and its digest; undefined when the registry has none. */
export async function readArtifactManifest(
  client: RegistryClient,
  repository: string,
  reference: string,
): Promise<{ digest: string; manifest: ArtifactManifest } | undefined> {
  const path = `/v2/${repository}/manifests/${reference}`;
  const response = await client.call('GET', path, pull(repository), { accept: manifestMediaType });
  if (response.statusCode === 404) return undefined;
  if (response.statusCode !== 200) throw client.failure(response, path);
  return { digest: digestOf(response.bytes), manifest: JSON.parse(response.body) as ArtifactManifest };
}

/** Uploads a blob unless the repository has it; see `uploadBlob` for what is done when a session fails. */
export async function pushBlob(
  client: RegistryClient,
  repository: string,
  bytes: Buffer,
  mediaType: string,
  annotations?: Record<string, string>,
): Promise<Descriptor> {
  const descriptor: Descriptor = {
    mediaType,
    digest: digestOf(bytes),
    size: bytes.length,
    ...(annotations ? { annotations } : {}),
  };
  await uploadBlob(client, repository, descriptor.digest, bytes);
  return descriptor;
}

/** Puts a manifest under a tag; returns its digest. */
export async function pushManifest(
  client: RegistryClient,
  repository: string,
  tag: string,
  manifest: ArtifactManifest,
): Promise<string> {
  return putManifestBytes(client, repository, tag, Buffer.from(JSON.stringify(manifest)), manifestMediaType);
}

/**
 * The OCI image index media type: what `imageIndex` writes. Rather than a Docker manifest list: the index is the
 * standard every current client and registry reads (Docker 20.10's pull and CNCF distribution 2.8 included, checked
 * here), and the one our other artifacts use; the image manifests it lists may stay Docker schema 2, as `docker push`
 * wrote them (a descriptor names its own media type).
 */
export const indexMediaType = 'application/vnd.oci.image.index.v1+json';

/** An OCI image index: one manifest per platform under one tag (`docker pull` and `FROM` pick their own). */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType: typeof indexMediaType;
  manifests: Array<Descriptor & { platform: Platform }>;
}

/**
 * The index of per-platform image manifests, in the order given. Pure, and the same descriptors give the same bytes:
 * an index already under its tag is recognised by its digest and not written again.
 */
export function imageIndex(manifests: Array<Descriptor & { platform: Platform }>): ImageIndex {
  const platforms = manifests.map((manifest) => platformName(manifest.platform));
  const repeated = platforms.find((platform, position) => platforms.indexOf(platform) !== position);
  // A bug in the caller, not something a user can cause: an index with two images for one platform is ambiguous.
  if (repeated) throw new Error(`an image index with two manifests for ${repeated}`);
  return {
    schemaVersion: 2,
    mediaType: indexMediaType,
    manifests: manifests.map(({ mediaType, digest, size, platform }) => ({
      mediaType,
      digest,
      size,
      platform: {
        architecture: platform.architecture,
        os: platform.os,
        ...(platform.variant ? { variant: platform.variant } : {}),
      },
    })),
  };
}

/** The bytes an index is written as (and so its digest). */
export const indexBytes = (index: ImageIndex): Buffer => Buffer.from(JSON.stringify(index));

/** Puts an image index under a tag (the manifests it lists must be in the repository already); returns its digest. */
export async function pushIndex(
  client: RegistryClient,
  repository: string,
  tag: string,
  index: ImageIndex,
): Promise<string> {
  return putManifestBytes(client, repository, tag, indexBytes(index), indexMediaType);
}

/** Puts a manifest of any kind, as bytes, under a tag; returns its digest. */
export async function putManifestBytes(
  client: RegistryClient,
  repository: string,
  tag: string,
  bytes: Buffer,
  mediaType: string,
): Promise<string> {
  const path = `/v2/${repository}/manifests/${tag}`;
  // The same bytes under the same tag: sending it again after a lost answer changes nothing.
  const response = await client.call('PUT', path, push(repository), { 'content-type': mediaType }, bytes, {
    retry: true,
  });
  if (response.statusCode !== 201) throw client.failure(response, path);
  return digestOf(bytes);
}
