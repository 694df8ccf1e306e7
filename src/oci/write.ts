import { EnvironmentError, NeuronsError } from '../errors/neurons-error.js';
import { pullScope, pushScope, sessionTarget, uploadBlob } from '../registry/blob-upload.js';
import { digestOf, type RegistryClient, type RegistryResponse } from '../registry/client.js';
import type { Descriptor } from '../registry/manifest.js';

export type BlobOutcome = 'present' | 'mounted' | 'uploaded';

/**
 * Makes `repository` hold the blob: mounted from a repository of the same registry that has it (no bytes sent; a
 * repository that holds the blob already answers the mount as it would a HEAD), else present already (HEAD), else
 * uploaded. A refused mount opens an upload session (202): the last one is used for the upload when there are bytes,
 * the others are cancelled. Safe to run again: a mount changes nothing where the blob is, and an upload is by digest.
 */
export async function ensureBlob(
  client: RegistryClient,
  repository: string,
  descriptor: Descriptor,
  /** `fresh`: bytes all but certainly new to the registry, uploaded without a HEAD first. */
  source: { bytes?: Buffer; mountFrom?: string[]; fresh?: boolean },
): Promise<BlobOutcome> {
  const { digest } = descriptor;
  if (source.bytes && digestOf(source.bytes) !== digest)
    throw new Error(`ensureBlob: the bytes given for ${digest} have the digest ${digestOf(source.bytes)}`);
  const blobPath = `/v2/${repository}/blobs/${digest}`;
  const present = async (): Promise<boolean> => {
    const existing = await client.call('HEAD', blobPath, pushScope(repository));
    if (existing.statusCode === 200) return true;
    if (existing.statusCode !== 404) throw client.failure(existing, blobPath);
    return false;
  };
  const sources = (source.mountFrom ?? []).filter((from) => from !== repository);
  // Without a repository to mount from, a HEAD first: the blob may be there, and its bytes need not cross again.
  if (sources.length === 0 && !(source.fresh && source.bytes) && (await present())) return 'present';
  let refusal: RegistryResponse | undefined;
  for (const [position, from] of sources.entries()) {
    const mountPath = `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    // A mount is safe to send again: mounting twice changes nothing, a session opened and lost expires.
    const mounted = await client.call(
      'POST',
      mountPath,
      `${pushScope(repository)} ${pullScope(from)}`,
      { 'content-length': '0' },
      undefined,
      { retry: true },
    );
    if (mounted.statusCode === 201) return 'mounted';
    const session = mounted.statusCode === 202 ? String(mounted.headers['location'] ?? '') : '';
    if (mounted.statusCode !== 202) refusal = mounted;
    if (session !== '' && source.bytes && position === sources.length - 1) {
      await uploadBlob(client, repository, digest, source.bytes, { session });
      return 'uploaded';
    }
    if (session !== '') await cancelSession(client, repository, session);
  }
  // No mount took: the repository may hold the blob all the same (its source was deleted since).
  if (sources.length > 0 && (await present())) return 'present';
  if (source.bytes) {
    await uploadBlob(client, repository, digest, source.bytes, { checked: true });
    return 'uploaded';
  }
  const tried =
    sources.length > 0
      ? `none of ${sources.join(', ')} could be mounted from${refusal ? ` (the last refusal: HTTP ${refusal.statusCode})` : ''}`
      : 'no repository to mount it from was given';
  throw new NeuronsError({
    code: 'BLOB_UNAVAILABLE',
    message: `blob ${digest} is not in ${client.endpoint.host}/${repository}, ${tried}, and its bytes are not at hand`,
    hint: 'a base image layer must be in the same registry as the image built on it: push the base image there first',
  });
}

/** An upload session nobody will use: closed at once rather than left to expire. Best effort: it expires anyway. */
async function cancelSession(client: RegistryClient, repository: string, location: string): Promise<void> {
  await client
    .call('DELETE', sessionTarget(client, location), pushScope(repository), {}, undefined, { retry: false })
    .catch(() => undefined);
}

/**
 * Puts a manifest (or index) under a tag or its digest; returns its digest. The same bytes under the same reference:
 * sending them again after a lost answer changes nothing. A registry that states another digest stored other bytes.
 */
export async function putManifest(
  client: RegistryClient,
  repository: string,
  reference: string,
  bytes: Buffer,
  mediaType: string,
): Promise<string> {
  const digest = digestOf(bytes);
  if (reference.includes(':') && reference !== digest)
    throw new Error(`putManifest: reference ${reference} is not the digest of the manifest (${digest})`);
  const path = `/v2/${repository}/manifests/${reference}`;
  const response = await client.call('PUT', path, pushScope(repository), { 'content-type': mediaType }, bytes, {
    retry: true,
  });
  if (response.statusCode !== 201 && response.statusCode !== 200) throw client.failure(response, path);
  const stated = response.headers['docker-content-digest'];
  if (stated !== undefined && String(stated) !== digest) {
    throw new EnvironmentError({
      code: 'MANIFEST_DIGEST_MISMATCH',
      message: `registry ${client.endpoint.host} stored the manifest sent to ${repository}:${reference} under ${String(stated)}, not under its digest ${digest}`,
      hint: 'the registry (or a proxy in between) rewrote the manifest: check that it stores manifests as sent, or push to another registry',
    });
  }
  return digest;
}

/** The digest and media type of the manifest under a tag or digest, or undefined when the repository has none. */
export async function hasManifest(
  client: RegistryClient,
  repository: string,
  reference: string,
): Promise<{ digest: string; mediaType: string } | undefined> {
  const head = await client.headManifest(repository, reference);
  if (!head) return undefined;
  if (head.digest.startsWith('sha256:') && head.mediaType !== '')
    return { digest: head.digest, mediaType: head.mediaType.split(';')[0]?.trim() ?? '' };
  // Some registries state no digest on a HEAD: the manifest itself says it.
  const found = await client.readManifest(repository, reference);
  return found ? { digest: found.digest, mediaType: found.manifest.mediaType } : undefined;
}
