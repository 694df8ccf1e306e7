import { pullScope as pull, pushScope as push, uploadBlob } from './blob-upload.js';
import { digestOf, type RegistryClient } from './client.js';
import type { Descriptor } from './manifest.js';

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
export async function readArtifactManifest(client: RegistryClient, repository: string, reference: string): Promise<{ digest: string; manifest: ArtifactManifest } | undefined> {
  const path = `/v2/${repository}/manifests/${reference}`;
  const response = await client.call('GET', path, pull(repository), { accept: manifestMediaType });
  if (response.statusCode === 404) return undefined;
  if (response.statusCode !== 200) throw client.failure(response, path);
  return { digest: digestOf(response.bytes), manifest: JSON.parse(response.body) as ArtifactManifest };
}

/** Uploads a blob unless the repository has it; see `uploadBlob` for what is done when a session fails. */
export async function pushBlob(client: RegistryClient, repository: string, bytes: Buffer, mediaType: string, annotations?: Record<string, string>): Promise<Descriptor> {
  const descriptor: Descriptor = { mediaType, digest: digestOf(bytes), size: bytes.length, ...(annotations ? { annotations } : {}) };
  await uploadBlob(client, repository, descriptor.digest, bytes);
  return descriptor;
}

/** Puts a manifest under a tag; returns its digest. */
export async function pushManifest(client: RegistryClient, repository: string, tag: string, manifest: ArtifactManifest): Promise<string> {
  const bytes = Buffer.from(JSON.stringify(manifest));
  const path = `/v2/${repository}/manifests/${tag}`;
  // The same bytes under the same tag: sending it again after a lost answer changes nothing.
  const response = await client.call('PUT', path, push(repository), { 'content-type': manifestMediaType }, bytes, { retry: true });
  if (response.statusCode !== 201) throw client.failure(response, path);
  return digestOf(bytes);
}
