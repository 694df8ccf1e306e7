import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';

export const maxWebhookBytes = 1024 * 1024;

/** GitHub's `X-Hub-Signature-256`: `sha256=` and the HMAC-SHA256 of the raw body with the shared secret. */
export function verifySignature(body: Buffer, header: string | undefined, secret: string): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxWebhookBytes) {
        resolve(undefined);
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
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
      if (request.method === 'GET' && url.pathname === '/healthz') return void response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      if (request.method === 'GET' && url.pathname === '/status') return void response.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(options.status())}\n`);
      if (request.method !== 'POST' || url.pathname !== '/webhook' || !options.secret) return void response.writeHead(404).end();
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
