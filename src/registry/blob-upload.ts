import { setTimeout as sleep } from 'node:timers/promises';
import { defaultRetryPolicy, nextDelay, retryAfterMs } from '../transport/retry-policy.js';
import type { RegistryClient, RegistryResponse } from './client.js';

export const pullScope = (repository: string): string => `repository:${repository}:pull`;
export const pushScope = (repository: string): string => `repository:${repository}:pull,push`;

/**
 * Attempts at a whole blob upload, as many as the transport gives one request: each opens a new session, so a session
 * lost with its connection is replaced. Between them, the transport's backoff, or the registry's Retry-After.
 */
const uploadAttempts = defaultRetryPolicy.attempts;

export interface UploadOptions {
  /** The caller has just seen the repository lack the blob (a HEAD): the first attempt does not ask again. */
  checked?: boolean;
  /** The `Location` of an upload session the registry already opened (a refused mount opens one): the first attempt uses it. */
  session?: string;
}

/**
 * Uploads a blob unless the repository has it (monolithic upload: POST then PUT with the digest). The PUT that ends
 * a session is never sent twice (after a reset, the session may already be closed by the first one): the whole upload
 * starts again instead, after a HEAD that says whether the first PUT landed after all.
 */
export async function uploadBlob(
  client: RegistryClient,
  repository: string,
  digest: string,
  bytes: Buffer,
  options: UploadOptions = {},
): Promise<void> {
  const blobPath = `/v2/${repository}/blobs/${digest}`;
  for (let attempt = 1; ; attempt += 1) {
    const first = attempt === 1;
    if (!first || (!options.checked && options.session === undefined)) {
      const existing = await client.call('HEAD', blobPath, pushScope(repository));
      if (existing.statusCode === 200) return;
    }
    let refused: { response: RegistryResponse; path: string } | undefined;
    try {
      refused = await uploadOnce(client, repository, digest, bytes, first ? options.session : undefined);
    } catch (error) {
      // The connection went (a reset mid-body): the session may or may not have ended; the HEAD above tells.
      if (attempt >= uploadAttempts || (error as { code?: string }).code !== 'REGISTRY_UNREACHABLE') throw error;
      await restartAfter(client, blobPath, attempt, (error as { code?: string }).code ?? 'reset', undefined);
      continue;
    }
    if (!refused) return;
    // A server error, a rate limit or a session the registry forgot (404) is worth a new session; a refusal is not.
    const status = refused.response.statusCode;
    if (attempt >= uploadAttempts || !(status >= 500 || status === 404 || status === 429))
      throw client.failure({ ...refused.response, attempts: attempt }, refused.path);
    await restartAfter(
      client,
      blobPath,
      attempt,
      `HTTP ${status}`,
      retryAfterMs(refused.response.headers['retry-after']),
    );
  }
}

/** Waits before a new upload session, and says so through the client's retry log like any other retry. */
async function restartAfter(
  client: RegistryClient,
  blobPath: string,
  attempt: number,
  reason: string,
  retryAfter: number | undefined,
): Promise<void> {
  const delayMs = nextDelay(defaultRetryPolicy, attempt, retryAfter);
  client.endpoint.onRetry?.({
    method: 'PUT',
    url: `https://${client.endpoint.host}${blobPath}`,
    attempt,
    reason: `upload session: ${reason}`,
    delayMs,
    retryAfter: retryAfter !== undefined,
  });
  await sleep(delayMs);
}

/** An upload session's `Location` as `call` takes it (a path on the registry, or a URL on another host), with `query` set. */
export function sessionTarget(client: RegistryClient, location: string, query: Record<string, string> = {}): string {
  const url = new URL(location, `https://${client.endpoint.host}`);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return location.startsWith('http') ? url.toString() : `${url.pathname}${url.search}`;
}

/**
 * One upload session (POST, unless the registry opened one already), then the PUT that ends it with the bytes.
 * Returns the answer that refused it, if any.
 */
async function uploadOnce(
  client: RegistryClient,
  repository: string,
  digest: string,
  bytes: Buffer,
  session: string | undefined,
): Promise<{ response: RegistryResponse; path: string } | undefined> {
  const startPath = `/v2/${repository}/blobs/uploads/`;
  let location = session;
  if (location === undefined) {
    // Opening a session is safe to repeat: a session nobody uses expires on the registry.
    const started = await client.call('POST', startPath, pushScope(repository), { 'content-length': '0' }, undefined, {
      retry: true,
    });
    if (started.statusCode !== 202) return { response: started, path: startPath };
    location = String(started.headers['location'] ?? '');
  }
  const finished = await client.call(
    'PUT',
    sessionTarget(client, location, { digest }),
    pushScope(repository),
    { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
    bytes,
    { retry: false },
  );
  return finished.statusCode === 201 ? undefined : { response: finished, path: startPath };
}
