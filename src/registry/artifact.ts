import { setTimeout as sleep } from 'node:timers/promises';
import { defaultRetryPolicy, nextDelay, retryAfterMs } from '../transport/retry-policy.js';
import { digestOf, type RegistryClient, type RegistryResponse } from './client.js';
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
const pull = (repository: string): string => `repository:${repository}:pull`;
const push = (repository: string): string => `repository:${repository}:pull,push`;

/** The manifest under `reference` and its digest; undefined when the registry has none. */
export async function readArtifactManifest(client: RegistryClient, repository: string, reference: string): Promise<{ digest: string; manifest: ArtifactManifest } | undefined> {
  const path = `/v2/${repository}/manifests/${reference}`;
  const response = await client.call('GET', path, pull(repository), { accept: manifestMediaType });
  if (response.statusCode === 404) return undefined;
  if (response.statusCode !== 200) throw client.failure(response, path);
  return { digest: digestOf(response.bytes), manifest: JSON.parse(response.body) as ArtifactManifest };
}

/**
 * Attempts at a whole blob upload, as many as the transport gives one request: each opens a new session, so a session
 * lost with its connection is replaced. Between them, the transport's backoff, or the registry's Retry-After.
 */
const uploadAttempts = defaultRetryPolicy.attempts;

/**
 * Uploads a blob unless the repository has it (monolithic upload: POST then PUT with the digest). The PUT that ends
 * a session is never sent twice (after a reset, the session may already be closed by the first one): the whole upload
 * starts again instead, after a HEAD that says whether the first PUT landed after all.
 */
export async function pushBlob(client: RegistryClient, repository: string, bytes: Buffer, mediaType: string, annotations?: Record<string, string>): Promise<Descriptor> {
  const descriptor: Descriptor = { mediaType, digest: digestOf(bytes), size: bytes.length, ...(annotations ? { annotations } : {}) };
  const blobPath = `/v2/${repository}/blobs/${descriptor.digest}`;
  for (let attempt = 1; ; attempt += 1) {
    const existing = await client.call('HEAD', blobPath, push(repository));
    if (existing.statusCode === 200) return descriptor;
    let refused: { response: RegistryResponse; path: string } | undefined;
    try {
      refused = await uploadOnce(client, repository, descriptor.digest, bytes);
    } catch (error) {
      // The connection went (a reset mid-body): the session may or may not have ended; the HEAD above tells.
      if (attempt >= uploadAttempts || (error as { code?: string }).code !== 'REGISTRY_UNREACHABLE') throw error;
      await restartAfter(client, blobPath, attempt, (error as { code?: string }).code ?? 'reset', undefined);
      continue;
    }
    if (!refused) return descriptor;
    // A server error, a rate limit or a session the registry forgot (404) is worth a new session; a refusal is not.
    const status = refused.response.statusCode;
    if (attempt >= uploadAttempts || !(status >= 500 || status === 404 || status === 429)) throw client.failure({ ...refused.response, attempts: attempt }, refused.path);
    await restartAfter(client, blobPath, attempt, `HTTP ${status}`, retryAfterMs(refused.response.headers['retry-after']));
  }
}

/** Waits before a new upload session, and says so through the client's retry log like any other retry. */
async function restartAfter(client: RegistryClient, blobPath: string, attempt: number, reason: string, retryAfter: number | undefined): Promise<void> {
  const delayMs = nextDelay(defaultRetryPolicy, attempt, retryAfter);
  client.endpoint.onRetry?.({ method: 'PUT', url: `https://${client.endpoint.host}${blobPath}`, attempt, reason: `upload session: ${reason}`, delayMs, retryAfter: retryAfter !== undefined });
  await sleep(delayMs);
}

/** One upload session: POST, then the PUT that ends it with the bytes. Returns the answer that refused it, if any. */
async function uploadOnce(client: RegistryClient, repository: string, digest: string, bytes: Buffer): Promise<{ response: RegistryResponse; path: string } | undefined> {
  const startPath = `/v2/${repository}/blobs/uploads/`;
  // Opening a session is safe to repeat: a session nobody uses expires on the registry.
  const started = await client.call('POST', startPath, push(repository), { 'content-length': '0' }, undefined, { retry: true });
  if (started.statusCode !== 202) return { response: started, path: startPath };
  const location = new URL(String(started.headers['location'] ?? ''), `https://${client.endpoint.host}`);
  location.searchParams.set('digest', digest);
  const target = started.headers['location'] && String(started.headers['location']).startsWith('http') ? location.toString() : `${location.pathname}${location.search}`;
  const finished = await client.call('PUT', target, push(repository), { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) }, bytes, { retry: false });
  return finished.statusCode === 201 ? undefined : { response: finished, path: startPath };
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
