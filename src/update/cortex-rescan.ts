import { setTimeout as delay } from 'node:timers/promises';
import { request, type Dispatcher } from '../transport/undici.js';
import { EnvironmentError, NeuronsError, UsageError } from '../errors/neurons-error.js';
import type { Problem } from '../errors/problem.js';
import { createDispatcher } from '../transport/dispatcher.js';
import { retryAfterMs } from '../transport/retry-policy.js';
import { describeTlsFailure, isTlsFailure } from '../trust/trust-store.js';
import { settleRescan, type WorkerKind } from './install.js';

/**
 * Cortex's own endpoints (conf/routes in TheHive-Project/Cortex): each answers 204 once it has started to read its
 * `analyzer.urls` / `responder.urls` again; either one rereads both kinds. An org-admin or super-admin API key.
 */
const scanPaths: Record<WorkerKind, string> = {
  analyzer: 'api/analyzerdefinition/scan',
  responder: 'api/responderdefinition/scan',
};

/** Connection failures after which the request may be sent again: a rescan twice is a rescan. */
const retriedErrors = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/** A `Retry-After` longer than this is not waited for: the update ends, and the next one asks again. */
const longestWait = 60_000;

export interface CortexClientOptions {
  /** Where Cortex answers, e.g. `https://cortex.example:9001/`; a path prefix is kept. */
  url: string;
  apiKey: string;
  /** The whole trust store (`buildTrustStore`: system roots plus `--ca`); undici's `ca` replaces Node's. */
  ca: string[];
  /** Tries per request, the first included. */
  attempts: number;
  /** How a pause between tries is taken (tests record it instead of waiting). */
  pause?: (ms: number) => Promise<void>;
}

/** Parses `--cortex-url`: an http(s) URL, ending in `/` so that the API paths are added below it. */
export function parseCortexUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError({
      code: 'USAGE',
      message: `--cortex-url ${value} is not a URL`,
      hint: 'for example --cortex-url https://cortex.example:9001',
    });
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.username ||
    url.password ||
    url.search ||
    url.hash
  ) {
    throw new UsageError({
      code: 'USAGE',
      message: `--cortex-url ${value}: expected http(s)://host[:port][/path], without credentials or query`,
      hint: 'the API key is read from NEURONS_CORTEX_API_KEY',
    });
  }
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  return url;
}

function errorCode(error: unknown): string | undefined {
  for (
    let current: unknown = error, depth = 0;
    typeof current === 'object' && current !== null && depth < 5;
    depth += 1
  ) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && retriedErrors.has(code)) return code;
    current = cause;
  }
  return undefined;
}

/** Cortex's HTTP API, as far as the updater needs it: asking for a rescan of the catalogs. */
export class CortexClient {
  private readonly base: URL;
  private readonly dispatcher: Dispatcher;
  private readonly pause: (ms: number) => Promise<void>;

  constructor(private readonly options: CortexClientOptions) {
    this.base = parseCortexUrl(options.url);
    // The transport's trust (the system store plus the given CAs) and timeouts; the retry of a rescan stays here: it
    // is a POST, safe to repeat only because Cortex's scan is, and its waits are bounded differently (`longestWait`).
    this.dispatcher = createDispatcher({ ca: options.ca, headersTimeoutMs: 30_000, bodyTimeoutMs: 30_000 });
    this.pause = options.pause ?? ((ms) => delay(ms));
  }

  /**
   * `POST .../scan` with the bearer key. 5xx, 429 and dropped connections are tried again (after `Retry-After`
   * when the server gives one, else 0.5 s, 1 s, 2 s, ...), up to `attempts` tries; anything else fails at once.
   * Messages name the URL and the status, never the key.
   */
  async rescan(kind: WorkerKind): Promise<{ kind: WorkerKind; status: number; attempts: number }> {
    const url = new URL(scanPaths[kind], this.base);
    const fail = (code: string, message: string, hint: string, cause?: unknown): never => {
      throw new EnvironmentError({ code, file: url.href, message, hint }, cause);
    };
    for (let attempt = 1; ; attempt += 1) {
      const last = attempt >= this.options.attempts;
      const tries = `${attempt} ${attempt === 1 ? 'try' : 'tries'}`;
      let wait: number | undefined;
      try {
        const response = await request(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.options.apiKey}` },
          dispatcher: this.dispatcher,
        });
        await response.body.dump();
        const { statusCode } = response;
        if (statusCode >= 200 && statusCode < 300) return { kind, status: statusCode, attempts: attempt };
        if (statusCode === 401 || statusCode === 403) {
          fail(
            'UPDATE_RESCAN_AUTH',
            `POST ${url.href} answered ${statusCode}: Cortex refused the API key`,
            'NEURONS_CORTEX_API_KEY must be the API key of an org-admin (or super-admin) user of Cortex, enabled',
          );
        }
        if (statusCode !== 429 && statusCode < 500) {
          fail(
            'UPDATE_RESCAN_FAILED',
            `POST ${url.href} answered ${statusCode}`,
            statusCode === 404
              ? 'check --cortex-url: it is the address of Cortex itself, where /api/analyzerdefinition/scan answers'
              : 'see the Cortex log',
          );
        }
        wait = retryAfterMs(response.headers['retry-after'], Date.now());
        if (last || (wait !== undefined && wait > longestWait)) {
          const later = wait !== undefined && wait > longestWait ? ` and asks to wait ${Math.ceil(wait / 1000)} s` : '';
          fail(
            'UPDATE_RESCAN_FAILED',
            `POST ${url.href} answered ${statusCode} after ${tries}${later}`,
            'Cortex is busy or failing: the catalogs are installed, and the next update asks it again to rescan',
          );
        }
      } catch (error) {
        if (error instanceof NeuronsError) throw error;
        if (isTlsFailure(error)) {
          const problem = describeTlsFailure(error, 'cortex', url.host);
          throw new EnvironmentError(
            { ...problem, file: url.href, hint: `pass the CA that issued it with --ca FILE; ${problem.hint ?? ''}` },
            error,
          );
        }
        const code = errorCode(error);
        if (code === undefined || last) {
          fail(
            'UPDATE_RESCAN_FAILED',
            `POST ${url.href} failed after ${tries}: ${(error as Error).message}${code && code !== (error as Error).message ? ` (${code})` : ''}`,
            'check --cortex-url and that Cortex runs: the catalogs are installed, and the next update asks it again to rescan',
            error,
          );
        }
      }
      await this.pause(wait ?? 500 * 2 ** (attempt - 1));
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

export interface RescanReport {
  kind: WorkerKind;
  status: 'rescanned' | 'failed';
  /** The problem of a failed rescan. */
  problem?: Problem;
}

/**
 * After an install: asks Cortex to rescan each kind owed a rescan (its file changed now or in an update whose
 * rescan failed), and settles in the state the kinds it rescanned. A failure is reported, never thrown: the
 * catalogs stay installed.
 */
export async function rescanInstalled(options: {
  client: CortexClient;
  kinds: WorkerKind[];
  stateDirectory: string;
  sourceKey: string;
}): Promise<RescanReport[]> {
  const reports: RescanReport[] = [];
  for (const kind of options.kinds) {
    try {
      await options.client.rescan(kind);
      reports.push({ kind, status: 'rescanned' });
    } catch (error) {
      if (!(error instanceof NeuronsError)) throw error;
      reports.push({ kind, status: 'failed', problem: error.problem });
    }
  }
  const done = reports.filter((report) => report.status === 'rescanned').map((report) => report.kind);
  if (done.length > 0) await settleRescan(options.stateDirectory, options.sourceKey, done);
  return reports;
}
