import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import { afterQuiet } from '../util/quiet-timer.js';

export interface PeerChain {
  /** As the server presented it, leaf first (Node completes it with the root when it knows that root). */
  certificates: X509Certificate[];
  /** The server refused the handshake for want of a client certificate (mutual TLS). */
  clientCertificateRequired: boolean;
  protocol: string | undefined;
}

export interface PeerAddress {
  host: string;
  port: number;
  /** SNI name; the host when it is a name (never an IP address: RFC 6066 forbids it). */
  servername?: string;
  timeoutMs?: number;
}

function presentedChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  // Empty object when the server sent nothing; a self-signed root is its own issuerCertificate.
  let current: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (current?.raw && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}

/**
 * Alerts a server sends when it wants a client certificate and got none: TLS 1.3 `certificate_required` (116);
 * before 1.3 OpenSSL sends `handshake_failure` (40), others `bad_certificate` (42), after its own Certificate
 * message, so receiving a server certificate and then one of these means mutual TLS. A reset right after a
 * TLS 1.3 handshake is how some servers say the same.
 */
export function isClientCertificateRefusal(
  error: { code?: string | undefined; message?: string | undefined },
  afterServerCertificate: boolean,
): boolean {
  if (error.code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' || /certificate required/i.test(error.message ?? ''))
    return true;
  if (!afterServerCertificate) return false;
  return ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'ECONNRESET'].includes(
    error.code ?? '',
  );
}

/**
 * Connects without verifying (the point is to see what is presented) and without a client certificate, and
 * collects the chain. In TLS 1.3 the server judges the (absent) client certificate after the client's handshake
 * is over: wait for its session ticket (accepted) or its alert (refused) before deciding.
 * Rejects when no certificate was received (refused connection, unknown host, timeout, not TLS).
 */
export function fetchPeerChain(address: PeerAddress): Promise<PeerChain> {
  const servername = address.servername ?? (isIP(address.host) ? undefined : address.host);
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: address.host,
      port: address.port,
      rejectUnauthorized: false,
      ...(servername ? { servername } : {}),
    });
    let settled = false;
    const finish = (error?: NodeJS.ErrnoException): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const certificates = presentedChain(socket);
      const protocol = socket.getProtocol() ?? undefined;
      socket.destroy();
      if (certificates.length === 0) {
        reject(
          error ??
            Object.assign(new Error(`no certificate from ${address.host}:${address.port}`), {
              code: 'ERR_NO_PEER_CERTIFICATE',
            }),
        );
        return;
      }
      resolve({
        certificates,
        clientCertificateRequired: error ? isClientCertificateRefusal(error, true) : false,
        protocol,
      });
    };
    const timer = setTimeout(
      () =>
        finish(
          Object.assign(
            new Error(`no TLS handshake with ${address.host}:${address.port} within ${address.timeoutMs ?? 10_000} ms`),
            { code: 'ETIMEDOUT' },
          ),
        ),
      address.timeoutMs ?? 10_000,
    );
    socket.once('secureConnect', () => {
      if (socket.getProtocol() !== 'TLSv1.3') return finish();
      socket.resume();
      socket.once('session', () => finish());
      // A server that sends no session ticket and no alert within a second accepted us as well (a second this process
      // could listen: on a loaded machine, a late timer must not beat the alert that came meanwhile).
      afterQuiet(1000, () => finish());
    });
    socket.once('error', (error: NodeJS.ErrnoException) => finish(error));
    socket.once('close', () => finish());
  });
}
