import { createSecureContext, type SecureContext } from 'node:tls';
import { Agent, type Dispatcher } from './undici.js';
import { uniqueCertificates } from '../trust/pem.js';
import { extraCertificates, notBundled, systemCertificates } from '../trust/trust-store.js';

export interface TrustOptions {
  /** Extra CA certificates (PEM) trusted on top of the system store and NODE_EXTRA_CA_CERTS, never instead. */
  ca?: readonly string[];
  /** A client certificate and key (PEM), for servers that require mutual TLS. */
  clientCertificate?: { cert: string; key: string } | undefined;
  /** Skip TLS verification: only where the user set it explicitly for one server (and is warned on every run). */
  insecure?: boolean | undefined;
  /** Where NODE_EXTRA_CA_CERTS is read from (the process environment by default). */
  env?: NodeJS.ProcessEnv;
}

export interface DispatcherOptions extends TrustOptions {
  /** Time to wait for the status line and headers, then between body chunks. */
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** Connections kept per origin. */
  connections?: number;
}

/**
 * Secure contexts by CA set and client certificate: clients of one run (a registry, its base images, a mirror with
 * the same CA, a publish target) share one instead of each parsing ~170 root certificates again (~80 ms each).
 */
const secureContexts = new Map<string, SecureContext>();

/**
 * The one place a TLS client's trust is decided: undici's `connect.ca` replaces Node's store instead of adding to
 * it, so a configured private CA would otherwise make every public certificate untrusted (an https:// publish target
 * failed whenever a registry had a private CA). With nothing to add, Node's own store (roots plus
 * NODE_EXTRA_CA_CERTS, read at start) is used as is.
 */
export function secureContextFor(options: TrustOptions): SecureContext | undefined {
  const ca = options.ca ?? [];
  if (ca.length === 0 && !options.clientCertificate) return undefined;
  const key = JSON.stringify([ca, options.clientCertificate?.cert ?? '', options.env?.['NODE_EXTRA_CA_CERTS'] ?? '']);
  let context = secureContexts.get(key);
  if (!context) {
    context =
      withProcessStore(ca, options) ??
      createSecureContext({
        ...(ca.length > 0
          ? { ca: uniqueCertificates([...systemCertificates(options.env ?? process.env), ...ca]) }
          : {}),
        ...(options.clientCertificate ?? {}),
      });
    secureContexts.set(key, context);
  }
  return context;
}

/**
 * The same trust, made the cheap way when the store asked for is the process's own (the same NODE_EXTRA_CA_CERTS):
 * a context on Node's store, which parses its bundled roots once per process, with the extra CAs added to a copy of
 * it (`addCACert`, as Node does for each `ca` entry). The copy holds the bundled roots only: NODE_EXTRA_CA_CERTS is
 * added again. Undefined when this Node has no such method.
 */
function withProcessStore(ca: readonly string[], options: TrustOptions): SecureContext | undefined {
  const env = options.env ?? process.env;
  if ((env['NODE_EXTRA_CA_CERTS'] ?? '') !== (process.env['NODE_EXTRA_CA_CERTS'] ?? '')) return undefined;
  const context = createSecureContext(options.clientCertificate ?? {});
  const native = (context as unknown as { context?: { addCACert?: (pem: string) => void } }).context;
  if (typeof native?.addCACert !== 'function') return undefined;
  // A bundled root is in the copy already: where NODE_EXTRA_CA_CERTS is the system bundle (~140 certificates, most of
  // them Node's roots too), adding each again cost ~35 ms per context.
  for (const pem of notBundled(uniqueCertificates([...extraCertificates(env), ...ca]))) native.addCACert(pem);
  return context;
}

/** An undici dispatcher with the trust, client certificate and timeouts given. */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const secureContext = secureContextFor(options);
  return new Agent({
    connect: {
      ...(secureContext ? { secureContext } : {}),
      ...(options.insecure ? { rejectUnauthorized: false } : {}),
    },
    headersTimeout: options.headersTimeoutMs ?? 30_000,
    bodyTimeout: options.bodyTimeoutMs ?? 60_000,
    connections: options.connections ?? 16,
  });
}
