import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpTransport, type RetryEvent } from '../../../src/transport/http-transport.js';

const fast = { attempts: 4, baseDelayMs: 10, maxDelayMs: 40, maxRetryAfterMs: 1500 };

/** A real server answering each request with the next of `answers` (the last repeats); counts what it saw. */
async function scriptedServer(answers: Array<(request: IncomingMessage, response: ServerResponse) => void>) {
  const seen: string[] = [];
  const server = createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    const answer = answers[Math.min(seen.length - 1, answers.length - 1)];
    request.resume();
    request.on('end', () => answer?.(request, response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/x`;
  return {
    url,
    seen,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const ok = (_: IncomingMessage, response: ServerResponse) => void response.writeHead(200).end('done');
const status =
  (code: number, headers: Record<string, string> = {}) =>
  (_: IncomingMessage, response: ServerResponse) =>
    void response.writeHead(code, headers).end();
/** Headers and half a body, then the socket is destroyed: a reset mid-body. */
const resetMidBody = (_: IncomingMessage, response: ServerResponse) => {
  response.writeHead(200, { 'content-length': '100' });
  response.write('partial');
  setImmediate(() => response.socket?.destroy());
};

describe('HttpTransport', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('retries a GET through a 500, a reset mid-body and a 503, and reports each retry', async () => {
    const server = await scriptedServer([status(500), resetMidBody, status(503), ok]);
    const events: RetryEvent[] = [];
    const transport = new HttpTransport({ retry: fast, onRetry: (event) => events.push(event) });
    closers.push(server.close, () => transport.close());
    const response = await transport.request({ method: 'GET', url: server.url });
    expect({ status: response.statusCode, body: response.bytes.toString(), attempts: response.attempts }).toEqual({
      status: 200,
      body: 'done',
      attempts: 4,
    });
    expect(events.map((event) => event.reason)).toEqual([
      'HTTP 500',
      expect.stringMatching(/UND_ERR_SOCKET|ECONNRESET|terminated/),
      'HTTP 503',
    ]);
    expect(transport.stats).toEqual({ requests: 4, retries: 3 });
  });

  it('waits what Retry-After asks on a 429', async () => {
    const server = await scriptedServer([status(429, { 'retry-after': '1' }), ok]);
    const events: RetryEvent[] = [];
    const transport = new HttpTransport({ retry: fast, onRetry: (event) => events.push(event) });
    closers.push(server.close, () => transport.close());
    const started = Date.now();
    expect((await transport.request({ method: 'HEAD', url: server.url })).statusCode).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(events).toEqual([expect.objectContaining({ reason: 'HTTP 429', delayMs: 1000, retryAfter: true })]);
  });

  it('never repeats a POST or PUT unless told, and gives up after the policy attempts', async () => {
    const server = await scriptedServer([status(503)]);
    const transport = new HttpTransport({ retry: fast });
    closers.push(server.close, () => transport.close());
    expect((await transport.request({ method: 'POST', url: server.url })).attempts).toBe(1);
    expect((await transport.request({ method: 'PUT', url: server.url, body: Buffer.from('x') })).attempts).toBe(1);
    const repeated = await transport.request({ method: 'PUT', url: server.url, body: Buffer.from('x'), retry: true });
    expect({ status: repeated.statusCode, attempts: repeated.attempts }).toEqual({ status: 503, attempts: 4 });
    expect(server.seen).toHaveLength(6);
  });

  it('does not retry what cannot improve: a 404, a refused connection', async () => {
    const server = await scriptedServer([status(404)]);
    const transport = new HttpTransport({ retry: fast });
    closers.push(server.close, () => transport.close());
    expect((await transport.request({ method: 'GET', url: server.url })).attempts).toBe(1);
    await server.close();
    await expect(transport.request({ method: 'GET', url: server.url })).rejects.toMatchObject({
      name: 'TransportError',
      attempts: 1,
    });
  });

  it('keeps to its budget of requests in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const server = await scriptedServer([
      (_, response) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        setTimeout(() => {
          inFlight -= 1;
          response.end('ok');
        }, 20);
      },
    ]);
    const transport = new HttpTransport({ retry: fast, concurrency: 3 });
    closers.push(server.close, () => transport.close());
    await Promise.all(Array.from({ length: 12 }, () => transport.request({ method: 'GET', url: server.url })));
    expect(most).toBe(3);
  });
});
