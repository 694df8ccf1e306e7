import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PutServer {
  url: string;
  /** Stored files, by path without the leading `/`. */
  files: Map<string, Buffer>;
  close(): Promise<void>;
}

/**
 * A static HTTP server on loopback that takes PUT and DELETE and honours `If-Match`/`If-None-Match` as object stores
 * and WebDAV servers do. `delay(request)` holds each request for the milliseconds it returns before answering (a
 * slow server: what makes two publishers interleave differently); `hold` holds it until the promise it returns
 * settles (what makes them overlap for certain).
 */
export async function startPutServer(
  options: { delay?: () => number; hold?: (request: { method: string; name: string }) => Promise<void> } = {},
): Promise<PutServer> {
  const files = new Map<string, Buffer>();
  const etagOf = (bytes: Buffer): string => `"${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}"`;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const name = decodeURIComponent((request.url ?? '/').split('?')[0] ?? '/').slice(1);
      const held = options.hold?.({ method: request.method ?? '', name }) ?? Promise.resolve();
      void held.then(() =>
        setTimeout(() => {
          const current = files.get(name);
          if (request.method === 'GET') {
            if (current && request.headers['if-none-match'] === etagOf(current))
              return void response.writeHead(304, { etag: etagOf(current) }).end();
            return void (current
              ? response.writeHead(200, { etag: etagOf(current) }).end(current)
              : response.writeHead(404).end());
          }
          if (request.method === 'DELETE') return void response.writeHead(files.delete(name) ? 204 : 404).end();
          const ifMatch = request.headers['if-match'];
          if (
            (ifMatch && (!current || etagOf(current) !== ifMatch)) ||
            (request.headers['if-none-match'] === '*' && current)
          )
            return void response.writeHead(412).end();
          const body = Buffer.concat(chunks);
          files.set(name, body);
          response.writeHead(current ? 204 : 201, { etag: etagOf(body) }).end();
        }, options.delay?.() ?? 0),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    files,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
