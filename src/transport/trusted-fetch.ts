import { fetch as undiciFetch } from './undici.js';
import { createDispatcher } from './dispatcher.js';

/**
 * A `fetch` that trusts the configured CAs on top of the system store, for clients that take one (Octokit, for a
 * GitHub Enterprise behind a private CA or TLS inspection): the same trust as every other client, from the transport.
 * Undefined when there is nothing to add.
 */
export function trustedFetch(caPems: string[], env: NodeJS.ProcessEnv): typeof fetch | undefined {
  if (caPems.length === 0) return undefined;
  const dispatcher = createDispatcher({ ca: caPems, env, headersTimeoutMs: 60_000, bodyTimeoutMs: 120_000 });
  const call = (input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher });
  return call as unknown as typeof fetch;
}
