import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** One request Cortex's stand-in received, answered or not. */
export interface CortexRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  status: number | 'reset';
}

/** What the stand-in answers to the next authenticated scan request: a status (with headers), or a dropped connection. */
export type CortexAnswer = { status: number; headers?: Record<string, string> } | 'reset';

export interface CortexServer {
  url: string;
  requests: CortexRequest[];
  /** Answers to the next scan requests, in order; once used up, 204 as Cortex answers. */
  answers: CortexAnswer[];
  /** Called with each scan request before it is answered. */
  onScan: ((request: CortexRequest) => void) | undefined;
  /** Resolves once `count` requests have arrived in all. */
  received(count: number): Promise<CortexRequest[]>;
  close(): Promise<void>;
}

const scanPaths = new Set(['/api/analyzerdefinition/scan', '/api/responderdefinition/scan']);

/**
 * A stand-in for Cortex's HTTP API, as far as the updater uses it (Cortex cannot run here): the two rescan
 * endpoints, `POST` only, with Cortex's API key authentication (`Authorization: Bearer KEY`, else 401). Plain HTTP,
 * or HTTPS with `tls`. `prefix` serves the API below a path, as behind a reverse proxy.
 */
export async function startCortexServer(options: {
  apiKey: string;
  tls?: { cert: string; key: string };
  prefix?: string;
}): Promise<CortexServer> {
  const requests: CortexRequest[] = [];
  const waiting: Array<{ count: number; resolve: (requests: CortexRequest[]) => void }> = [];
  const prefix = options.prefix ?? '';
  const record = (request: CortexRequest): void => {
    requests.push(request);
    for (const waiter of waiting.filter((candidate) => requests.length >= candidate.count)) {
      waiting.splice(waiting.indexOf(waiter), 1);
      waiter.resolve([...requests]);
    }
  };
  const server: CortexServer = {
    url: '',
    requests,
    answers: [],
    onScan: undefined,
    received: (count) =>
      requests.length >= count
        ? Promise.resolve([...requests])
        : new Promise((resolve) => waiting.push({ count, resolve })),
    close: async () => undefined,
  };
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const seen = { method: request.method ?? '', path, authorization: request.headers.authorization };
    const answer = (status: number, headers: Record<string, string> = {}, body = ''): void => {
      record({ ...seen, status });
      response.writeHead(status, body ? { 'content-type': 'application/json', ...headers } : headers).end(body);
    };
    if (!path.startsWith(`${prefix}/`) || !scanPaths.has(path.slice(prefix.length)))
      return answer(404, {}, '{"type":"NotFoundError","message":"not found"}');
    if (request.method !== 'POST') return answer(405);
    if (request.headers.authorization !== `Bearer ${options.apiKey}`)
      return answer(401, {}, '{"type":"AuthenticationError","message":"Authentication failure"}');
    server.onScan?.({ ...seen, status: 0 });
    const next = server.answers.shift() ?? { status: 204 };
    if (next === 'reset') {
      record({ ...seen, status: 'reset' });
      request.socket.destroy();
      return;
    }
    answer(next.status, next.headers);
  };
  const listener = options.tls ? createHttpsServer(options.tls, handle) : createHttpServer(handle);
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as AddressInfo;
  server.url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}${prefix}`;
  server.close = () =>
    new Promise<void>((resolve) => {
      listener.closeAllConnections();
      listener.close(() => resolve());
    });
  return server;
}
