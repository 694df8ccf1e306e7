import path from 'node:path';
import { Agent, request, type Dispatcher } from 'undici';
import { EnvironmentError, NeuronsError, UsageError } from '../errors/neurons-error.js';
import { readFileWithin, sizeLimits, TooLargeError } from '../util/size-limits.js';
import { describeTlsFailure, isTlsFailure } from '../trust/trust-store.js';
import type { UpdateSource } from './source.js';

const maxRedirects = 5;

export type Fetched = { status: 'ok'; bytes: Buffer; etag: string | undefined } | { status: 'not-modified' } | { status: 'missing' };

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
  return new NeuronsError({ code: 'UPDATE_TOO_LARGE', file, message: `${size === undefined ? 'more than' : `${size} bytes, more than`} the limit of ${limit} bytes for this file`, hint: 'the limits are in the README ("Limits"); a catalog this large is not one neurons published' });
}

/** A local folder: read, no ETag (reading is as cheap as asking). */
export function folderFetcher(directory: string): CatalogFetcher {
  return {
    requests: 0,
    async get(file) {
      try {
        return { status: 'ok', bytes: await readFileWithin(path.join(directory, file), sizeLimitFor(file)), etag: undefined };
      } catch (error) {
        if (error instanceof TooLargeError) throw tooLarge(path.join(directory, file), error.size, error.limit);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
        throw new UsageError({ code: 'UPDATE_SOURCE_UNREADABLE', file: path.join(directory, file), message: `cannot read: ${(error as Error).message}`, hint: 'check the path and its permissions' });
      }
    },
    async close() {},
  };
}

/**
 * An HTTP(S) server, through undici. `ca` is the whole trust store (system roots plus `--ca`, from
 * `buildTrustStore`): undici's `ca` replaces Node's store instead of adding to it.
 */
export function httpFetcher(base: string, options: { ca: string[] }): CatalogFetcher {
  const dispatcher: Dispatcher = new Agent({ connect: { ca: options.ca }, headersTimeout: 30_000, bodyTimeout: 60_000 });
  let requests = 0;
  return {
    get requests() {
      return requests;
    },
    async get(file, etag) {
      let url = new URL(file, base);
      let response: Dispatcher.ResponseData;
      // Redirects are followed, as the engine's own HTTP client does: GitHub release downloads answer 302 to a
      // storage URL. Never from https to http, and a few hops at most; the conditional header goes along.
      for (let hops = 0; ; hops += 1) {
        requests++;
        try {
          response = await request(url, { method: 'GET', headers: etag ? { 'if-none-match': etag } : {}, dispatcher });
        } catch (error) {
          if (isTlsFailure(error)) {
            const problem = describeTlsFailure(error, 'catalog', url.host);
            throw new EnvironmentError({ ...problem, hint: `pass the CA that issued it with --ca FILE; ${problem.hint ?? ''}` }, error);
          }
          throw new EnvironmentError({ code: 'UPDATE_UNREACHABLE', message: `cannot reach ${url.href}: ${(error as Error).message}`, hint: 'check the --catalog URL and the network' }, error);
        }
        const location = response.headers['location'];
        if (![301, 302, 303, 307, 308].includes(response.statusCode) || typeof location !== 'string') break;
        await response.body.dump();
        const next = new URL(location, url);
        if (hops >= maxRedirects) throw new EnvironmentError({ code: 'UPDATE_HTTP', message: `GET ${new URL(file, base).href}: more than ${maxRedirects} redirects`, hint: 'check the --catalog URL' });
        if (url.protocol === 'https:' && next.protocol !== 'https:') {
          throw new EnvironmentError({ code: 'UPDATE_HTTP', message: `GET ${url.href} redirected to ${next.protocol}//${next.host}: a redirect from https to ${next.protocol.replace(':', '')} is refused`, hint: 'publish the catalogs behind https end to end' });
        }
        url = next;
      }
      const { statusCode, headers } = response;
      if (statusCode === 304) {
        await response.body.dump();
        return { status: 'not-modified' };
      }
      if (statusCode === 404 || statusCode === 410) {
        await response.body.dump();
        return { status: 'missing' };
      }
      if (statusCode !== 200) {
        await response.body.dump();
        throw new EnvironmentError({ code: 'UPDATE_HTTP', message: `GET ${url.href} answered ${statusCode}`, hint: statusCode >= 500 ? 'the catalog server failed: try again later' : 'check the --catalog URL' });
      }
      const bytes = await readBodyWithin(response, url.href, sizeLimitFor(file));
      return { status: 'ok', bytes, etag: typeof headers['etag'] === 'string' ? headers['etag'] : undefined };
    },
    async close() {
      await dispatcher.close();
    },
  };
}

/** The body, refused as soon as the announced or received size passes `limit`. */
async function readBodyWithin(response: Dispatcher.ResponseData, name: string, limit: number): Promise<Buffer> {
  const announced = Number(response.headers['content-length'] ?? 0);
  if (announced > limit) {
    response.body.destroy();
    throw tooLarge(name, announced, limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      response.body.destroy();
      throw tooLarge(name, undefined, limit);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function sourceFetcher(source: UpdateSource, ca: string[]): CatalogFetcher {
  return source.remote ? httpFetcher(source.base, { ca }) : folderFetcher(source.base);
}
