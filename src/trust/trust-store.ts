import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { UsageError } from '../errors/neurons-error.js';
import type { Problem } from '../errors/problem.js';
import { distinguishedName } from './certificate-summary.js';
import { fetchPeerChain, isClientCertificateRefusal } from './peer-chain.js';
import { certificateKey, splitCertificates, uniqueCertificates } from './pem.js';

export type TlsHop = 'registry' | 'catalog' | 'index' | 'github' | 'cortex';

/** The server's certificate, as far as a look at the handshake can tell: it makes TLS problems recognisable. */
export interface PeerCertificateSummary {
  subject: string;
  issuer: string;
  /** ISO 8601. */
  validTo: string;
  fingerprint256: string;
  /** The server refused us for want of a client certificate (mutual TLS). */
  clientCertificateRequired?: boolean;
}

/** The certificates of a CA file (PEM, one or more); a usage error when it cannot be read or holds none. */
export function readCaFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError({
      code: 'TRUST_CA_UNREADABLE',
      file,
      message: `CA file ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      hint: 'give the path of a PEM certificate file',
    });
  }
  const certificates = splitCertificates(text);
  if (certificates.length === 0) {
    throw new UsageError({
      code: 'TRUST_CA_INVALID',
      file,
      message: `CA file ${file} holds no PEM certificate`,
      hint: 'a CA file holds one or more "-----BEGIN CERTIFICATE-----" blocks',
    });
  }
  return certificates;
}

/**
 * What Node trusts without being told: its bundled roots plus NODE_EXTRA_CA_CERTS (read from `env`, not from
 * the process, so that tests and callers choose). A missing NODE_EXTRA_CA_CERTS file is ignored, as Node does.
 */
export function systemCertificates(env: NodeJS.ProcessEnv): string[] {
  return uniqueCertificates([...rootCertificates.flatMap(splitCertificates), ...extraCertificates(env)]);
}

let bundledKeys: Set<string> | undefined;

/** The certificates that are not among Node's bundled roots (`tls.rootCertificates`), in their order. */
export function notBundled(pems: readonly string[]): string[] {
  bundledKeys ??= new Set(rootCertificates.map(certificateKey));
  const bundled = bundledKeys;
  return pems.filter((pem) => !bundled.has(certificateKey(pem)));
}

/** The certificates of NODE_EXTRA_CA_CERTS (read from `env`); none when it is not set or cannot be read. */
export function extraCertificates(env: NodeJS.ProcessEnv): string[] {
  const extraFile = env['NODE_EXTRA_CA_CERTS'];
  if (!extraFile) return [];
  try {
    return splitCertificates(readFileSync(extraFile, 'utf8'));
  } catch {
    return [];
  }
}

/**
 * The CA list for a TLS client: undici's `connect.ca` replaces Node's store instead of adding to it, so the
 * system store comes first and the given CAs (files or PEM text) are added, each certificate once.
 */
export function buildTrustStore(options: { caFiles: string[]; caPems: string[]; env: NodeJS.ProcessEnv }): {
  ca: string[];
} {
  const given = [...options.caFiles.flatMap((file) => readCaFile(file)), ...options.caPems.flatMap(splitCertificates)];
  return { ca: uniqueCertificates([...systemCertificates(options.env), ...given]) };
}

/** Error codes from Node, OpenSSL and undici, wherever they sit: the error, its causes, an AggregateError's list. */
function errorChain(error: unknown): Array<{ code?: string; message?: string }> {
  const found: Array<{ code?: string; message?: string }> = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && found.length < 16) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null) continue;
    const item = next as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    found.push({
      ...(typeof item.code === 'string' ? { code: item.code } : {}),
      ...(typeof item.message === 'string' ? { message: item.message } : {}),
    });
    queue.push(item.cause);
    if (Array.isArray(item.errors)) queue.push(...(item.errors as unknown[]));
  }
  return found;
}

const untrusted = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
]);
const outOfDate = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

export type TlsProblemCode =
  'TLS_UNTRUSTED' | 'TLS_EXPIRED' | 'TLS_WRONG_HOST' | 'TLS_CLIENT_CERT_REQUIRED' | 'TLS_FAILED';

function classify(
  errors: Array<{ code?: string; message?: string }>,
  peer: PeerCertificateSummary | undefined,
): { code: TlsProblemCode; reason: string } {
  const probedRefusal = peer?.clientCertificateRequired === true;
  for (const error of errors) {
    const reason = error.code ?? error.message ?? 'unknown';
    if (error.code && untrusted.has(error.code)) return { code: 'TLS_UNTRUSTED', reason };
    if (error.code && outOfDate.has(error.code)) return { code: 'TLS_EXPIRED', reason };
    if (error.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return { code: 'TLS_WRONG_HOST', reason };
    // A handshake failure or a closed socket means "client certificate" only when the probe saw the refusal.
    if (isClientCertificateRefusal(error, probedRefusal) || (probedRefusal && error.code === 'UND_ERR_SOCKET')) {
      return { code: 'TLS_CLIENT_CERT_REQUIRED', reason };
    }
  }
  const first = errors.find((error) => error.code) ?? errors[0];
  return { code: 'TLS_FAILED', reason: first?.code ?? first?.message ?? 'unknown error' };
}

const hopNames: Record<TlsHop, string> = {
  registry: 'registry',
  catalog: 'catalog server',
  index: 'package index',
  github: 'GitHub API',
  cortex: 'Cortex API',
};
const caSettings: Record<TlsHop, string> = {
  registry: '`registries[].ca` in neurons.json (or NEURONS_REGISTRY_CA)',
  index: '`packageIndex.ca` in neurons.json (or NEURONS_PIP_INDEX_CA)',
  catalog: 'NODE_EXTRA_CA_CERTS',
  github: 'NODE_EXTRA_CA_CERTS',
  cortex: '`neurons update --ca`',
};

/**
 * Turns a TLS failure on one hop (`host` is `name[:port]`) into a coded problem naming the host, the hop and,
 * when the caller probed it with `peerCertificate`, the certificate's subject and issuer.
 */
export function describeTlsFailure(error: unknown, hop: TlsHop, host: string, peer?: PeerCertificateSummary): Problem {
  const { code, reason } = classify(errorChain(error), peer);
  const what = `the ${hopNames[hop]} ${host}`;
  const certificate = peer
    ? ` (certificate ${peer.subject}, issued by ${peer.issuer}, valid until ${peer.validTo})`
    : '';
  const inspect = `run: neurons ca inspect https://${host}`;
  switch (code) {
    case 'TLS_UNTRUSTED':
      return {
        code,
        message: `${what} presented a certificate that is not trusted${certificate}: ${reason}`,
        hint: `add the CA that issued it to ${caSettings[hop]}; behind a TLS-inspecting proxy, that is the proxy's CA; ${inspect}`,
      };
    case 'TLS_EXPIRED':
      return {
        code,
        message: `${what} presented a certificate that is out of date${certificate}: ${reason}`,
        hint: `renew the server certificate (\`neurons ca issue\` for a private CA) or check this machine's clock; ${inspect}`,
      };
    case 'TLS_WRONG_HOST':
      return {
        code,
        message: `${what} presented a certificate issued for other names${certificate}: ${reason}`,
        hint: `use a name the certificate lists, or issue one for this name (\`neurons ca issue --host NAME\`); ${inspect}`,
      };
    case 'TLS_CLIENT_CERT_REQUIRED':
      return {
        code,
        message: `${what} asks for a client certificate (mutual TLS) and none was sent${certificate}: ${reason}`,
        hint: `give neurons a client certificate this server accepts (\`neurons ca issue --client --name CN\` for a private CA); ${inspect}`,
      };
    default:
      return { code, message: `TLS connection to ${what} failed${certificate}: ${reason}`, hint: inspect };
  }
}

/** Whether an error is a TLS failure (certificate, alert, handshake) rather than, say, a refused connection. */
export function isTlsFailure(error: unknown): boolean {
  return errorChain(error).some(
    (item) =>
      (item.code !== undefined &&
        (untrusted.has(item.code) || outOfDate.has(item.code) || /^ERR_(SSL|TLS)_/.test(item.code))) ||
      /certificate required/i.test(item.message ?? ''),
  );
}

/** The server's leaf certificate without verifying it, to enrich a TLS problem; undefined when none can be had. */
export async function peerCertificate(
  host: string,
  port: number,
  servername?: string,
): Promise<PeerCertificateSummary | undefined> {
  try {
    const peer = await fetchPeerChain({ host, port, ...(servername ? { servername } : {}), timeoutMs: 5000 });
    const [leaf] = peer.certificates;
    if (!leaf) return undefined;
    return {
      subject: distinguishedName(leaf.subject),
      issuer: distinguishedName(leaf.issuer),
      validTo: new Date(leaf.validTo).toISOString(),
      fingerprint256: leaf.fingerprint256,
      clientCertificateRequired: peer.clientCertificateRequired,
    };
  } catch {
    return undefined;
  }
}
