import { setTimeout as sleep } from 'node:timers/promises';
import { request, type Dispatcher } from './undici.js';
import { createLimiter } from '../util/limit.js';
import { createDispatcher, type DispatcherOptions } from './dispatcher.js';
import {
  defaultRetryPolicy,
  isTransientError,
  isTransientStatus,
  nextDelay,
  retryAfterMs,
  type RetryPolicy,
} from './retry-policy.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface TransportRequest {
  method: HttpMethod;
  url: string | URL;
  headers?: Record<string, string>;
  body?: Buffer;
  /**
   * Whether sending this request twice is harmless. Defaults to true for GET and HEAD, false otherwise: the caller
   * knows when a PUT is content-addressed or conditional, or when a POST only opens an upload session.
   */
  retry?: boolean;
  /** Refuse a body larger than this (announced or received) with ResponseTooLargeError, before it is read whole. */
  maxBytes?: number;
}

/** A body over the request's `maxBytes`: never retried (the same server sends the same file). */
export class ResponseTooLargeError extends Error {
  override name = 'ResponseTooLargeError';
  constructor(
    readonly announced: number | undefined,
    readonly limit: number,
  ) {
    super(`${announced === undefined ? 'more than' : `${announced} bytes, more than`} the limit of ${limit} bytes`);
  }
}

export interface TransportResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** The whole body (empty for HEAD): read before deciding, so a reset mid-body is retried like any other. */
  bytes: Buffer;
  /** Attempts it took (1 when the first answered). */
  attempts: number;
}

/** One retry, for the log: what failed and how long the transport waits before the next attempt. */
export interface RetryEvent {
  method: HttpMethod;
  url: string;
  /** The attempt that failed (1 for the first). */
  attempt: number;
  /** `HTTP 503`, `ECONNRESET`, ... */
  reason: string;
  delayMs: number;
  /** The server asked for this wait (`Retry-After`). */
  retryAfter: boolean;
}

export interface TransportOptions extends DispatcherOptions {
  retry?: RetryPolicy;
  /** Requests in flight at once through this transport: one budget per registry or server. */
  concurrency?: number;
  onRetry?: (event: RetryEvent) => void;
}

/** An answer that never came: the last error after the attempts, with how many there were. */
export class TransportError extends Error {
  override name = 'TransportError';
  readonly attempts: number;
  readonly code: string | undefined;
  constructor(error: unknown, attempts: number) {
    super(error instanceof Error ? error.message : String(error), { cause: error });
    this.attempts = attempts;
    const code = (error as { code?: unknown }).code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

const reasonOf = (error: unknown): string =>
  (error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error));

/**
 * The HTTP client under every client of neurons (registries, publish targets, the catalog updater, GitHub): one
 * trust store, timeouts, a budget of concurrent requests, and retries with capped exponential backoff and jitter
 * for requests the caller says may be repeated, honouring `Retry-After`. undici's RetryAgent was the other choice:
 * it retries by method alone (so a conditional PUT would be repeated blind), keeps no count, and cannot log each
 * wait; this wrapper is as small and says what it does.
 */
export class HttpTransport {
  readonly dispatcher: Dispatcher;
  readonly policy: RetryPolicy;
  /** Requests sent (every attempt) and retries made, for reports and tests. */
  readonly stats = { requests: 0, retries: 0 };
  private readonly limit: <T>(task: () => Promise<T>) => Promise<T>;
  private readonly onRetry: ((event: RetryEvent) => void) | undefined;

  constructor(options: TransportOptions = {}) {
    this.dispatcher = createDispatcher(options);
    this.policy = options.retry ?? defaultRetryPolicy;
    this.limit = createLimiter(options.concurrency ?? 8);
    this.onRetry = options.onRetry;
  }

  async request(call: TransportRequest): Promise<TransportResponse> {
    const mayRetry = call.retry ?? (call.method === 'GET' || call.method === 'HEAD');
    const attempts = mayRetry ? Math.max(1, this.policy.attempts) : 1;
    for (let attempt = 1; ; attempt += 1) {
      let response: Omit<TransportResponse, 'attempts'>;
      try {
        response = await this.limit(() => this.once(call));
      } catch (error) {
        if (attempt >= attempts || !isTransientError(error)) throw new TransportError(error, attempt);
        await this.wait(call, attempt, reasonOf(error), undefined);
        continue;
      }
      if (attempt >= attempts || !isTransientStatus(response.statusCode)) return { ...response, attempts: attempt };
      await this.wait(call, attempt, `HTTP ${response.statusCode}`, retryAfterMs(response.headers['retry-after']));
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async wait(
    call: TransportRequest,
    attempt: number,
    reason: string,
    retryAfter: number | undefined,
  ): Promise<void> {
    const delayMs = nextDelay(this.policy, attempt, retryAfter);
    this.stats.retries += 1;
    this.onRetry?.({
      method: call.method,
      url: String(call.url),
      attempt,
      reason,
      delayMs,
      retryAfter: retryAfter !== undefined,
    });
    await sleep(delayMs);
  }

  private async once(call: TransportRequest): Promise<Omit<TransportResponse, 'attempts'>> {
    this.stats.requests += 1;
    const response = await request(call.url, {
      method: call.method,
      headers: call.headers ?? {},
      dispatcher: this.dispatcher,
      // Servers answer HEAD without a body, so the connection is kept: undici otherwise closes it after every HEAD,
      // and each digest check would pay a new TLS handshake.
      ...(call.method === 'HEAD' ? { reset: false } : {}),
      ...(call.body ? { body: call.body } : {}),
    });
    if (call.method === 'HEAD') {
      await response.body.dump();
      return { statusCode: response.statusCode, headers: response.headers, bytes: Buffer.alloc(0) };
    }
    if (call.maxBytes === undefined)
      return {
        statusCode: response.statusCode,
        headers: response.headers,
        bytes: Buffer.from(await response.body.arrayBuffer()),
      };
    return {
      statusCode: response.statusCode,
      headers: response.headers,
      bytes: await readWithin(response, call.maxBytes),
    };
  }
}

/** The body, refused as soon as the announced or received size passes `limit`. */
async function readWithin(response: Dispatcher.ResponseData, limit: number): Promise<Buffer> {
  const announced = Number(response.headers['content-length'] ?? 0);
  if (announced > limit) {
    response.body.destroy();
    throw new ResponseTooLargeError(announced, limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      response.body.destroy();
      throw new ResponseTooLargeError(undefined, limit);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Writes each retry as one line through `log`: what failed, the attempt, the wait and whether the server chose it. */
export function logRetries(log: (line: string) => void, what: string): (event: RetryEvent) => void {
  return (event) => {
    const url = new URL(event.url);
    log(
      `retry: ${what} ${event.method} ${url.host}${url.pathname} failed (${event.reason}, attempt ${event.attempt}); again in ${event.delayMs} ms${event.retryAfter ? ' (Retry-After)' : ''}`,
    );
  };
}
