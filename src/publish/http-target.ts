import { Agent, request, type Dispatcher } from 'undici';
import { changedNamedFiles, indexFileName, legacySignatureFileName, type Publication } from '../catalog/publication.js';
import { EnvironmentError } from '../errors/neurons-error.js';
import { publishConflict } from './conflict.js';
import type { PublishTarget } from './publish-target.js';

type Response = Dispatcher.ResponseData;

/**
 * An HTTP(S) server taking PUT (WebDAV, an object store's HTTP gateway). The index is the commit point: the
 * content-addressed files go first (`If-None-Match: *`: one already there is the same bytes), then the index with
 * `If-Match` on the ETag read before (or `If-None-Match: *` for the first one). Two publishers cannot both commit on
 * the same index: the loser gets 412, a `CATALOG_PUBLISH_CONFLICT`, having written only content-addressed files no
 * index refers to. The named copies are written by the winner, each after checking that the index is still its own.
 * Content-addressed files are never deleted here (a plain PUT server cannot list them): an expiry rule of the store
 * may remove those older than the index expiry.
 */
export function httpTarget(baseUrl: string, options: { ca: string[]; authorization: string | undefined }): PublishTarget {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const dispatcher: Dispatcher = new Agent({ connect: options.ca.length > 0 ? { ca: options.ca } : {}, headersTimeout: 60_000, bodyTimeout: 120_000 });
  let seenIndex: { etag: string | undefined; bytes: Buffer | undefined } | undefined;
  const call = async (method: 'GET' | 'PUT' | 'DELETE', file: string, headers: Record<string, string>, body?: Buffer): Promise<Response> => {
    try {
      return await request(new URL(file, base), { method, headers: { ...(options.authorization ? { authorization: options.authorization } : {}), ...headers }, dispatcher, ...(body ? { body } : {}) });
    } catch (error) {
      throw new EnvironmentError({ code: 'CATALOG_PUBLISH_UNREACHABLE', message: `cannot reach ${base}: ${(error as Error).message}`, hint: 'check the publish URL and its CA' }, error);
    }
  };
  const failed = (method: string, file: string, status: number): EnvironmentError =>
    new EnvironmentError({ code: 'CATALOG_PUBLISH_HTTP', message: `${method} ${base}${file} answered ${status}`, hint: 'check the publish URL and credentials' });
  const etagOf = (response: Response): string | undefined => (typeof response.headers['etag'] === 'string' ? response.headers['etag'] : undefined);
  const get = async (file: string): Promise<{ bytes: Buffer | undefined; etag: string | undefined }> => {
    const response = await call('GET', file, {});
    if (response.statusCode === 404) {
      await response.body.dump();
      return { bytes: undefined, etag: undefined };
    }
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw failed('GET', file, response.statusCode);
    }
    return { bytes: Buffer.from(await response.body.arrayBuffer()), etag: etagOf(response) };
  };
  const put = async (file: string, bytes: Buffer, condition: Record<string, string>): Promise<Response> => {
    const response = await call('PUT', file, { 'content-type': file.endsWith('.html') ? 'text/html' : file.endsWith('.sig') ? 'text/plain' : 'application/json', ...condition }, bytes);
    await response.body.dump();
    if (response.statusCode !== 412 && (response.statusCode < 200 || response.statusCode >= 300)) throw failed('PUT', file, response.statusCode);
    return response;
  };
  /** Whether the index is still `expected` (by ETag when the server gives one, else by its bytes). */
  const indexIs = async (expected: { etag: string | undefined; bytes: Buffer | undefined }): Promise<boolean> => {
    const response = await call('GET', indexFileName, expected.etag ? { 'if-none-match': expected.etag } : {});
    if (response.statusCode === 304) {
      await response.body.dump();
      return true;
    }
    if (response.statusCode === 404) {
      await response.body.dump();
      return expected.bytes === undefined;
    }
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw failed('GET', indexFileName, response.statusCode);
    }
    const bytes = Buffer.from(await response.body.arrayBuffer());
    return expected.bytes !== undefined && (expected.etag ? etagOf(response) === expected.etag : bytes.equals(expected.bytes));
  };

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
      const committed = await put(indexFileName, publication.index, before.bytes === undefined ? { 'if-none-match': '*' } : before.etag ? { 'if-match': before.etag } : {});
      if (committed.statusCode === 412) throw publishConflict(`${base}${indexFileName}`);
      const ours = { etag: etagOf(committed), bytes: publication.index };
      seenIndex = ours;
      for (const [file, bytes] of changedNamedFiles(publication, before.bytes)) {
        // A later publisher owns the named copies once it has committed: this one stops writing them.
        if (!(await indexIs(ours))) return;
        await put(file, bytes, {});
      }
      const removed = await call('DELETE', legacySignatureFileName, {});
      await removed.body.dump();
    },
    async close() {
      await dispatcher.close();
    },
  };
}
