import {
  changedNamedFiles,
  contentTypeOf,
  indexFileName,
  legacySignatureFileName,
  withdrawnNamedFiles,
  type Publication,
} from './publication.js';
import { EnvironmentError } from '../errors/neurons-error.js';
import { HttpTransport, TransportError, type RetryEvent, type TransportResponse } from '../transport/http-transport.js';
import { rateLimitStatuses } from '../transport/retry-policy.js';
import { publishConflict } from './conflict.js';
import type { PublishTarget } from './publish-target.js';

type Response = TransportResponse;
/** The files under the target's URL: GET, PUT (412 returned, other failures thrown) and DELETE, and the index check. */
interface HttpFiles {
  base: string;
  call: (
    method: 'GET' | 'PUT' | 'DELETE',
    file: string,
    headers: Record<string, string>,
    body?: Buffer,
  ) => Promise<Response>;
  get: (file: string) => Promise<{ bytes: Buffer | undefined; etag: string | undefined }>;
  put: (file: string, bytes: Buffer, condition: Record<string, string>) => Promise<Response>;
  /** Whether the index is still `expected` (by ETag when the server gives one, else by its bytes). */
  indexIs: (expected: { etag: string | undefined; bytes: Buffer | undefined }) => Promise<boolean>;
  close: () => Promise<void>;
}

/**
 * An HTTP(S) server taking PUT (WebDAV, an object store's HTTP gateway). The index is the commit point: the
 * content-addressed files go first (`If-None-Match: *`: one already there is the same bytes), then the index with
 * `If-Match` on the ETag read before (or `If-None-Match: *` for the first one). Two publishers cannot both commit on
 * the same index: the loser gets 412, a `CATALOG_PUBLISH_CONFLICT`, having written only content-addressed files no
 * index refers to. The named copies are written by the winner, each after checking that the index is still its own.
 * Content-addressed files are never deleted here (a plain PUT server cannot list them): an expiry rule of the store
 * may remove those older than the index expiry.
 *
 * Every request may be repeated after a transient failure: GETs, DELETE and the unconditional named copies plainly;
 * a content-addressed PUT with `If-None-Match: *` too (a 412 then means the same bytes are there). The index PUT is
 * the one whose 412 is ambiguous when it was retried: our own first attempt may have landed before its answer was
 * lost. The index is then read back: our bytes there mean committed, anything else a lost race.
 */
export function httpTarget(
  baseUrl: string,
  options: { ca: string[]; authorization: string | undefined; onRetry?: (event: RetryEvent) => void },
): PublishTarget {
  const { base, call, get, put, indexIs, close } = httpFiles(baseUrl, options);
  let seenIndex: { etag: string | undefined; bytes: Buffer | undefined } | undefined;
  return {
    description: base,
    locate: (file) => new URL(file, base).href,
    async read(file) {
      const { bytes, etag } = await get(file);
      if (file === indexFileName) seenIndex = { bytes, etag };
      return bytes;
    },
    async publish(publication: Publication) {
      seenIndex ??= await get(indexFileName);
      const before = seenIndex;
      // A publisher that committed since the read is caught before anything is written.
      if (!(await indexIs(before))) throw publishConflict(`${base}${indexFileName}`);
      for (const [file, bytes] of publication.objects) await put(file, bytes, { 'if-none-match': '*' });
      const committed = await put(
        indexFileName,
        publication.index,
        before.bytes === undefined ? { 'if-none-match': '*' } : before.etag ? { 'if-match': before.etag } : {},
      );
      let ours = { etag: etagOf(committed), bytes: publication.index };
      if (committed.statusCode === 412) {
        // A 412 on the first attempt is a lost race. On a later one, it may be our own first attempt that landed.
        const now = committed.attempts > 1 ? await get(indexFileName) : undefined;
        if (!now?.bytes?.equals(publication.index)) throw publishConflict(`${base}${indexFileName}`);
        ours = { etag: now.etag, bytes: publication.index };
      }
      seenIndex = ours;
      for (const [file, bytes] of changedNamedFiles(publication, before.bytes)) {
        // A later publisher owns the named copies once it has committed: this one stops writing them.
        if (!(await indexIs(ours))) return;
        await put(file, bytes, {});
      }
      for (const file of withdrawnNamedFiles(publication, before.bytes)) {
        if (!(await indexIs(ours))) return;
        await call('DELETE', file, {});
      }
      await call('DELETE', legacySignatureFileName, {});
    },
    close,
  };
}

function httpFiles(
  baseUrl: string,
  options: { ca: string[]; authorization: string | undefined; onRetry?: (event: RetryEvent) => void },
): HttpFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  // The CAs given are added to the system store (a public https:// target keeps working beside a private registry CA).
  const transport = new HttpTransport({
    ca: options.ca,
    headersTimeoutMs: 60_000,
    bodyTimeoutMs: 120_000,
    concurrency: 4,
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
  const call = async (
    method: 'GET' | 'PUT' | 'DELETE',
    file: string,
    headers: Record<string, string>,
    body?: Buffer,
  ): Promise<Response> => {
    try {
      const headersSent = { ...(options.authorization ? { authorization: options.authorization } : {}), ...headers };
      return await transport.request({
        method,
        url: new URL(file, base),
        headers: headersSent,
        retry: true,
        ...(body ? { body } : {}),
      });
    } catch (error) {
      const attempts =
        error instanceof TransportError && error.attempts > 1 ? ` (after ${error.attempts} attempts)` : '';
      throw new EnvironmentError(
        {
          code: 'CATALOG_PUBLISH_UNREACHABLE',
          message: `cannot reach ${base}: ${(error as Error).message}${attempts}`,
          hint: 'check the publish URL and its CA',
        },
        error,
      );
    }
  };
  const get = async (file: string): Promise<{ bytes: Buffer | undefined; etag: string | undefined }> => {
    const response = await call('GET', file, {});
    if (response.statusCode === 404) return { bytes: undefined, etag: undefined };
    if (response.statusCode !== 200) throw httpFailure(base, 'GET', file, response);
    return { bytes: response.bytes, etag: etagOf(response) };
  };
  const put = async (file: string, bytes: Buffer, condition: Record<string, string>): Promise<Response> => {
    const response = await call('PUT', file, { 'content-type': contentTypeOf(file), ...condition }, bytes);
    if (response.statusCode !== 412 && (response.statusCode < 200 || response.statusCode >= 300))
      throw httpFailure(base, 'PUT', file, response);
    return response;
  };
  const indexIs = async (expected: { etag: string | undefined; bytes: Buffer | undefined }): Promise<boolean> => {
    const response = await call('GET', indexFileName, expected.etag ? { 'if-none-match': expected.etag } : {});
    if (response.statusCode === 304) return true;
    if (response.statusCode === 404) return expected.bytes === undefined;
    if (response.statusCode !== 200) throw httpFailure(base, 'GET', indexFileName, response);
    const bytes = response.bytes;
    return (
      expected.bytes !== undefined &&
      (expected.etag ? etagOf(response) === expected.etag : bytes.equals(expected.bytes))
    );
  };
  return { base, call, get, put, indexIs, close: () => transport.close() };
}

/** An answer the target did not expect, as a coded error naming the request: rate limited, or its status. */
function httpFailure(
  base: string,
  method: string,
  file: string,
  response: Pick<Response, 'statusCode' | 'attempts'>,
): EnvironmentError {
  const attempts = response.attempts > 1 ? ` (after ${response.attempts} attempts)` : '';
  if (rateLimitStatuses.has(response.statusCode)) {
    return new EnvironmentError({
      code: 'CATALOG_PUBLISH_RATE_LIMITED',
      message: `${method} ${base}${file} answered ${response.statusCode}: the server is limiting requests${attempts}`,
      hint: 'the publish server (or a proxy in front of it) is rate limiting or overloaded: run again later or raise its limit',
    });
  }
  return new EnvironmentError({
    code: 'CATALOG_PUBLISH_HTTP',
    message: `${method} ${base}${file} answered ${response.statusCode}${attempts}`,
    hint:
      response.statusCode >= 500
        ? 'the publish server failed on its side: check its logs, then run again'
        : 'check the publish URL and credentials',
  });
}

function etagOf(response: Response): string | undefined {
  return typeof response.headers['etag'] === 'string' ? response.headers['etag'] : undefined;
}
