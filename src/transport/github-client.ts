import type { Octokit } from '@octokit/rest';
import { retryingFetch } from './retrying-fetch.js';

export interface GitHubClientOptions {
  token?: string | undefined;
  /** GitHub Enterprise Server: `https://<host>/api/v3`. Defaults to `https://api.github.com`. */
  baseUrl?: string | undefined;
  /** A `fetch` trusting the configured CAs (`trustedFetch`), when there are any. */
  fetch?: typeof fetch | undefined;
}

const ignore = (): void => undefined;

/**
 * One way to make an Octokit for every GitHub caller: same user agent, silent, the trusted fetch. Octokit is
 * imported here, on first use, so commands that never call GitHub do not pay for loading it.
 */
export async function createGitHubClient(options: GitHubClientOptions): Promise<Octokit> {
  const { Octokit } = await import('@octokit/rest');
  return new Octokit({
    userAgent: 'neurons',
    // The CLI alone decides what the user sees: failures come back as coded errors, not as Octokit's log lines.
    log: { debug: ignore, info: ignore, warn: ignore, error: ignore },
    ...(options.token === undefined ? {} : { auth: options.token }),
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl.replace(/\/+$/, '') }),
    // Reads are retried after a transient failure, as every other client of neurons does (the transport's policy).
    request: { fetch: retryingFetch(options.fetch ?? globalThis.fetch) },
  });
}

export type RequestError = Error & { status: number; response?: unknown };

/** Octokit's RequestError (HTTP status, or 500 without a response when the network failed). */
export function isRequestError(error: unknown): error is RequestError {
  return error instanceof Error && typeof (error as { status?: unknown }).status === 'number';
}

/**
 * GitHub's own text of a failure, for the details of a coded error. The token never appears in it, but a proxy
 * could echo anything: it is cut out all the same.
 */
export function gitHubSaid(error: RequestError, token: string | undefined): string {
  return token ? error.message.split(token).join('***') : error.message;
}

/** The host named in messages: `api.github.com`, or the Enterprise server's. */
export function apiHost(baseUrl: string | undefined): string {
  if (baseUrl === undefined) return 'api.github.com';
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}
