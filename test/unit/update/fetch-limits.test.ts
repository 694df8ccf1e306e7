import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFetcher } from '../../../src/update/fetch.js';
import { sizeLimits } from '../../../src/util/size-limits.js';

// Serves `size` bytes per path, with a Content-Length or chunked (the size then shows only as bytes arrive).
const sizes: Record<string, { size: number; announce: boolean }> = {
  '/analyzers.json': { size: sizeLimits.catalog + 1, announce: true },
  '/responders.json': { size: sizeLimits.catalog + 1, announce: false },
  '/index.json': { size: sizeLimits.index + 1, announce: false },
  '/analyzers-devel.json': { size: sizeLimits.catalog, announce: false },
};
const server = createServer((request, response) => {
  const wanted = sizes[request.url ?? ''];
  if (!wanted) return void response.writeHead(404).end();
  response.writeHead(200, wanted.announce ? { 'content-length': String(wanted.size) } : {});
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  const pump = (): void => {
    while (sent < wanted.size) {
      const part = chunk.subarray(0, Math.min(chunk.length, wanted.size - sent));
      sent += part.length;
      if (!response.write(part)) return void response.once('drain', pump);
    }
    response.end();
  };
  pump();
});

describe('catalog size limits over HTTP', () => {
  let base: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => void server.close());

  it('refuses a catalog announced larger than the limit, a chunked one that grows past it, and a large index', async () => {
    const fetcher = httpFetcher(base, { ca: [] });
    try {
      await expect(fetcher.get('analyzers.json')).rejects.toMatchObject({
        code: 'UPDATE_TOO_LARGE',
        problem: { message: expect.stringContaining(`${sizeLimits.catalog + 1} bytes`) },
      });
      await expect(fetcher.get('responders.json')).rejects.toMatchObject({ code: 'UPDATE_TOO_LARGE' });
      await expect(fetcher.get('index.json')).rejects.toMatchObject({
        code: 'UPDATE_TOO_LARGE',
        problem: { message: expect.stringContaining(`limit of ${sizeLimits.index} bytes`) },
      });
      // Exactly at the limit is read.
      const atLimit = await fetcher.get('analyzers-devel.json');
      expect(atLimit.status === 'ok' ? atLimit.bytes.length : 0).toBe(sizeLimits.catalog);
    } finally {
      await fetcher.close();
    }
  });
});
