import { request as httpRequest, Agent as HttpAgent, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, request as httpsRequest, Agent as HttpsAgent, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { issueServerCertificate, type KeyAndCertificate } from '../../src/ca/certificates.js';

/**
 * A TLS reverse proxy on loopback that injects faults in front of a real server (the environment's registry, a PUT
 * server, any HTTP(S) origin): 500, 503, 429 with Retry-After, a connection reset mid-body (during an upload: after
 * the first bytes of the request body; otherwise after the headers and first bytes of the answer), and stalls. The
 * faults are chosen per method and path, at a rate, from a seeded generator: a run with the same seed and the same
 * requests gets the same faults. It keeps the Host header, so the upload locations a registry hands out point back
 * at the proxy. Its certificate is issued by the CA given (the environment's, which neurons already trusts).
 */
export type FaultKind = '500' | '503' | '429' | 'reset' | 'stall';

export interface FaultRule {
  kind: FaultKind;
  /** Share of the matching requests that get this fault (0..1). */
  rate: number;
  method?: RegExp;
  path?: RegExp;
  /** Matched against the User-Agent: tells the Docker engine (`docker/...`) from neurons' own requests. */
  userAgent?: RegExp;
  /** At most this many of this rule's faults (keeps stalls and Retry-After waits bounded). */
  max?: number;
  /** For 429 (and 503): the Retry-After sent, in seconds. */
  retryAfterSeconds?: number;
  /** For stalls: how long the request is held before it is forwarded. */
  stallMs?: number;
  /**
   * For resets of a request with a body: forward it whole and cut the answer instead, so the server did the work
   * and the client cannot know (the ambiguous case of a retried conditional PUT).
   */
  landed?: boolean;
}

export interface FaultCounts {
  /** Requests that reached the proxy. */
  requests: number;
  /** Faults injected, by kind. */
  injected: Record<FaultKind, number>;
  /** Every injected fault, as `KIND METHOD path`. */
  log: string[];
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`. */
  host: string;
  url: string;
  counts: FaultCounts;
  /** Replaces the rules (e.g. none while a test sets up, then the faults). */
  setRules(rules: FaultRule[]): void;
  close(): Promise<void>;
}

/** mulberry32: small, fast, and the same sequence for the same seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `faultsInARow`: at most this many faults for one request (method and path, an upload session's id left out) in a row;
 * the next attempt goes through.
 * Faults are then a share of requests, as a struggling registry shows them, not a wall that a given number of
 * attempts can lose against by chance (at 40 % per attempt, one request in a hundred fails five times).
 */
export async function startFaultProxy(options: {
  upstream: string;
  upstreamCa?: string;
  ca: KeyAndCertificate;
  rules?: FaultRule[];
  seed?: number;
  faultsInARow?: number;
}): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const secure = upstream.protocol === 'https:';
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, ...(options.upstreamCa ? { ca: options.upstreamCa } : {}) })
    : new HttpAgent({ keepAlive: true });
  const certificate = issueServerCertificate(options.ca, { hosts: ['localhost'], ips: ['127.0.0.1'], days: 1 });
  const random = seeded(options.seed ?? 1);
  let rules = options.rules ?? [];
  const used = new Map<FaultRule, number>();
  const counts: FaultCounts = { requests: 0, injected: { '500': 0, '503': 0, '429': 0, reset: 0, stall: 0 }, log: [] };

  const streaks = new Map<string, number>();
  const choose = (method: string, path: string, userAgent: string): FaultRule | undefined => {
    const rule = pick(method, path, userAgent);
    // One blob upload is one request to its client, whatever session it runs in: the session's id and state
    // (a new one on every attempt) are not part of the key, or an upload could meet faults on every attempt.
    const [pathname = '', query = ''] = path.split('?');
    const session = /\/blobs\/uploads\/[^/]+$/;
    const key = session.test(pathname)
      ? `${method} ${pathname.replace(session, '/blobs/uploads/')} ${new URLSearchParams(query).get('digest') ?? ''}`
      : `${method} ${path}`;
    const streak = streaks.get(key) ?? 0;
    if (!rule || streak >= (options.faultsInARow ?? Infinity)) {
      streaks.delete(key);
      return undefined;
    }
    streaks.set(key, streak + 1);
    return rule;
  };
  const pick = (method: string, path: string, userAgent: string): FaultRule | undefined => {
    for (const rule of rules) {
      if (rule.method && !rule.method.test(method)) continue;
      if (rule.path && !rule.path.test(path)) continue;
      if (rule.userAgent && !rule.userAgent.test(userAgent)) continue;
      // One draw per matching rule, whether or not it fires: the sequence depends on the requests alone.
      const draw = random();
      if (draw >= rule.rate || (rule.max !== undefined && (used.get(rule) ?? 0) >= rule.max)) continue;
      used.set(rule, (used.get(rule) ?? 0) + 1);
      return rule;
    }
    return undefined;
  };

  const forward = (request: IncomingMessage, response: ServerResponse, resetAnswer: boolean): void => {
    const send = secure ? httpsRequest : httpRequest;
    const outgoing = send(
      {
        host: upstream.hostname,
        port: upstream.port || (secure ? 443 : 80),
        method: request.method,
        path: request.url,
        headers: request.headers,
        agent,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!resetAnswer) return void answer.pipe(response);
        // Headers and the first bytes of the body, then the connection goes: a reset mid-body.
        answer.once('data', (chunk: Buffer) => {
          response.write(chunk.subarray(0, Math.max(1, Math.floor(chunk.length / 2))));
          setImmediate(() => response.socket?.destroy());
          answer.resume();
        });
        // An answer without a body: the headers were never flushed, so the client sees the connection close.
        answer.once('end', () => response.socket?.destroy());
      },
    );
    outgoing.on('error', () => response.socket?.destroy());
    request.pipe(outgoing);
  };

  const server: Server = createServer(
    { cert: `${certificate.certificatePem}${options.ca.certificatePem}`, key: certificate.keyPem },
    (request, response) => {
      counts.requests += 1;
      const method = request.method ?? 'GET';
      const path = request.url ?? '/';
      const rule = choose(method, path, request.headers['user-agent'] ?? '');
      if (!rule) return forward(request, response, false);
      counts.injected[rule.kind] += 1;
      counts.log.push(`${rule.kind} ${method} ${path}`);
      switch (rule.kind) {
        case 'stall':
          return void setTimeout(() => forward(request, response, false), rule.stallMs ?? 1000);
        case 'reset': {
          const uploading =
            Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
          if (!uploading || rule.landed) return forward(request, response, true);
          // During an upload: the first bytes of the body arrive, then the connection goes; the upstream sees nothing.
          request.once('data', () => request.socket.destroy());
          return;
        }
        default: {
          request.resume();
          const retryAfter =
            rule.retryAfterSeconds === undefined ? {} : { 'retry-after': String(rule.retryAfterSeconds) };
          const code = rule.kind === '429' ? 'TOOMANYREQUESTS' : 'UNAVAILABLE';
          response
            .writeHead(Number(rule.kind), { 'content-type': 'application/json', ...retryAfter })
            .end(`{"errors":[{"code":"${code}","message":"injected by the fault proxy"}]}\n`);
        }
      }
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    url: `https://${host}/`,
    counts,
    setRules(next) {
      rules = next;
      used.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
