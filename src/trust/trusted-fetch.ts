import { Agent, fetch as undiciFetch } from 'undici';
import { systemCertificates } from './trust-store.js';

/**
 * A `fetch` that trusts the configured CAs on top of the system store, for clients that take one (Octokit, for a
 * GitHub Enterprise behind a private CA or TLS inspection). Undefined when there is nothing to add.
 */
export function trustedFetch(caPems: string[], env: NodeJS.ProcessEnv): typeof fetch | undefined {
  if (caPems.length === 0) return undefined;
  const dispatcher = new Agent({ connect: { ca: [...caPems, ...systemCertificates(env)] } });
  const call = (input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) => undiciFetch(input, { ...init, dispatcher });
  return call as unknown as typeof fetch;
}
