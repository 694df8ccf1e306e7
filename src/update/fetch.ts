import path from 'node:path';
import { EnvironmentError, NeuronsError, UsageError } from '../errors/neurons-error.js';
import {
  HttpTransport,
  ResponseTooLargeError,
  TransportError,
  type RetryEvent,
  type TransportResponse,
} from '../transport/http-transport.js';
import { rateLimitStatuses } from '../transport/retry-policy.js';
import { readFileWithin, sizeLimits, TooLargeError } from '../util/size-limits.js';
import { describeTlsFailure, isTlsFailure } from '../trust/trust-store.js';
import type { UpdateSource } from './source.js';

const maxRedirects = 5;

export type Fetched =
  { status: 'ok'; bytes: Buffer; etag: string | undefined } | { status: 'not-modified' } | { status: 'missing' };

/** Reads the files of a catalog source: a narrow interface, so the update itself never knows HTTP from files. */
export interface CatalogFetcher {
  /** `etag`: send `If-None-Match`; an unchanged file then answers `not-modified`. */
  get(file: string, etag?: string): Promise<Fetched>;
  /** Requests made so far (0 for files). */
  readonly requests: number;
  close(): Promise<void>;
}

/** The index and its signature are small; catalogs may be large, but not without bound. */
export function sizeLimitFor(file: string): number {
  // `index.json`, and its signatures: `index-<sha256>.sig`, `index.json.sig` (format 1).
  return path.posix.basename(file).startsWith('index') ? sizeLimits.index : sizeLimits.catalog;
}

/** Refused before the bytes are read whole: a 200 MB catalog used to take over a gigabyte of memory. */
export function tooLarge(file: string, size: number | undefined, limit: number): NeuronsError {
  return new NeuronsError({
    code: 'UPDATE_TOO_LARGE',
    file,
    message: `${size === undefined ? 'more than' : `${size} bytes, more than`} the limit of ${limit} bytes for this file`,
    hint: 'the limits are in the README ("Limits"); a catalog this large is not one neurons published',
  });
}

/** A local folder: read, no ETag (reading is as cheap as asking). */
export function folderFetcher(directory: string): CatalogFetcher {
  return {
    requests: 0,
    async get(file) {
      try {
        return {
          status: 'ok',
          bytes: await readFileWithin(path.join(directory, file), sizeLimitFor(file)),
          etag: undefined,
        };
      } catch (error) {
        if (error instanceof TooLargeError) throw tooLarge(path.join(directory, file), error.size, error.limit);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
        throw new UsageError({
          code: 'UPDATE_SOURCE_UNREADABLE',
          file: path.join(directory, file),
          message: `cannot read: ${(error as Error).message}`,
          hint: 'check the path and its permissions',
        });
      }
    },
    async close() {},
  };
}

/**
 * An HTTP(S) server, through the shared transport: `ca` is added to the system store; each GET is retried after a
 * transient failure (5xx, 429 and 503 with their `Retry-After`, a reset), and `requests` counts every attempt.
 */
export function httpFetcher(
  base: string,
  options: { ca: string[]; onRetry?: (event: RetryEvent) => void },
): CatalogFetcher {
  const transport = new HttpTransport({
    ca: options.ca,
    headersTimeoutMs: 30_000,
    bodyTimeoutMs: 60_000,
    concurrency: 4,
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
  return {
    get requests() {
      return transport.stats.requests;
    },
    async get(file, etag) {
      let url = new URL(file, base);
      let response: TransportResponse;
      // Redirects are followed, as the engine's own HTTP client does: GitHub release downloads answer 302 to a
      // storage URL. Never from https to http, and a few hops at most; the conditional header goes along.
      for (let hops = 0; ; hops += 1) {
        try {
          response = await transport.request({
            method: 'GET',
            url,
            headers: etag ? { 'if-none-match': etag } : {},
            maxBytes: sizeLimitFor(file),
          });
        } catch (error) {
          throw requestFailure(error, url);
        }
        const location = response.headers['location'];
        if (![301, 302, 303, 307, 308].includes(response.statusCode) || typeof location !== 'string') break;
        const next = new URL(location, url);
        if (hops >= maxRedirects)
          throw new EnvironmentError({
            code: 'UPDATE_HTTP',
            message: `GET ${new URL(file, base).href}: more than ${maxRedirects} redirects`,
            hint: 'check the --catalog URL',
          });
        if (url.protocol === 'https:' && next.protocol !== 'https:') {
          throw new EnvironmentError({
            code: 'UPDATE_HTTP',
            message: `GET ${url.href} redirected to ${next.protocol}//${next.host}: a redirect from https to ${next.protocol.replace(':', '')} is refused`,
            hint: 'publish the catalogs behind https end to end',
          });
        }
        url = next;
      }
      const { statusCode, headers } = response;
      if (statusCode === 304) return { status: 'not-modified' };
      if (statusCode === 404 || statusCode === 410) return { status: 'missing' };
      if (statusCode !== 200) throw statusFailure(response, url);
      return {
        status: 'ok',
        bytes: response.bytes,
        etag: typeof headers['etag'] === 'string' ? headers['etag'] : undefined,
      };
    },
    async close() {
      await transport.close();
    },
  };
}

/** A request that got no answer: too large, refused by TLS, or unreachable after its retries. */
function requestFailure(error: unknown, url: URL): Error {
  const cause = error instanceof TransportError ? error.cause : error;
  if (cause instanceof ResponseTooLargeError) return tooLarge(url.href, cause.announced, cause.limit);
  if (isTlsFailure(error)) {
    const problem = describeTlsFailure(error, 'catalog', url.host);
    return new EnvironmentError(
      { ...problem, hint: `pass the CA that issued it with --ca FILE; ${problem.hint ?? ''}` },
      error,
    );
  }
  const attempts = error instanceof TransportError && error.attempts > 1 ? ` (after ${error.attempts} attempts)` : '';
  return new EnvironmentError(
    {
      code: 'UPDATE_UNREACHABLE',
      message: `cannot reach ${url.href}: ${(error as Error).message}${attempts}`,
      hint: 'check the --catalog URL and the network',
    },
    error,
  );
}

/** An answer other than 200, 304, 404 and 410. */
function statusFailure(response: TransportResponse, url: URL): EnvironmentError {
  const { statusCode } = response;
  const attempts = response.attempts > 1 ? ` (after ${response.attempts} attempts)` : '';
  if (rateLimitStatuses.has(statusCode)) {
    return new EnvironmentError({
      code: 'UPDATE_RATE_LIMITED',
      message: `GET ${url.href} answered ${statusCode}: the catalog server is limiting requests${attempts}`,
      hint: 'the catalog server (or a proxy in front of it) is rate limiting or overloaded: the next run tries again',
    });
  }
  return new EnvironmentError({
    code: 'UPDATE_HTTP',
    message: `GET ${url.href} answered ${statusCode}${attempts}`,
    hint: statusCode >= 500 ? 'the catalog server failed: try again later' : 'check the --catalog URL',
  });
}

export function sourceFetcher(
  source: UpdateSource,
  ca: string[],
  onRetry?: (event: RetryEvent) => void,
): CatalogFetcher {
  return source.remote ? httpFetcher(source.base, { ca, ...(onRetry ? { onRetry } : {}) }) : folderFetcher(source.base);
}
