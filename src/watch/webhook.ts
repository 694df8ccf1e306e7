import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { sizeLimits } from '../util/size-limits.js';

/** The webhook body limit (documented in the README): a GitHub push event is a few KB. */
export const maxWebhookBytes = sizeLimits.webhook;

export function verifySignature(body: Buffer, header: string | undefined, secret: string): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The body, or undefined when it is larger than the limit. An oversized body is read to its end and dropped, not
 * cut off: destroying the socket while the sender still writes makes it see a reset instead of our 413. A body
 * announced as too large by its Content-Length is refused without reading; Node then discards the rest.
 */
function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  if (Number(request.headers['content-length'] ?? 0) > maxWebhookBytes) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxWebhookBytes) chunks.push(chunk);
      else chunks.length = 0;
    });
    request.on('end', () => resolve(size <= maxWebhookBytes ? Buffer.concat(chunks) : undefined));
    request.on('error', reject);
  });
}

/**
 * The watcher's HTTP face: `GET /healthz`, `GET /status` (JSON), and, with a secret, `POST /webhook` for GitHub push
 * events. The signature is checked before anything else; a webhook only wakes the poller, it never says what to build.
 */
export function startWatchServer(options: {
  host: string;
  port: number;
  secret: string | undefined;
  status: () => object;
  wake: () => void;
  log: (event: object) => void;
}): Promise<Server> {
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://watch');
      if (request.method === 'GET' && url.pathname === '/healthz')
        return void response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      if (request.method === 'GET' && url.pathname === '/status')
        return void response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(`${JSON.stringify(options.status())}\n`);
      if (request.method !== 'POST' || url.pathname !== '/webhook' || !options.secret)
        return void response.writeHead(404).end();
      const body = await readBody(request);
      if (!body) return void response.writeHead(413).end();
      const signature = request.headers['x-hub-signature-256'];
      if (!verifySignature(body, typeof signature === 'string' ? signature : undefined, options.secret)) {
        options.log({ event: 'webhook-refused', reason: 'signature' });
        return void response.writeHead(401).end();
      }
      const event = request.headers['x-github-event'];
      if (event === 'ping') return void response.writeHead(200).end();
      if (event !== 'push') return void response.writeHead(400).end();
      options.log({ event: 'webhook', delivery: request.headers['x-github-delivery'] });
      options.wake();
      response.writeHead(202).end();
    })().catch(() => response.writeHead(500).end());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}
