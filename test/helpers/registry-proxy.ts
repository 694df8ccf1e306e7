import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCertificateAuthority, issueServerCertificate } from '../../src/ca/certificates.js';

/**
 * A TLS reverse proxy on loopback in front of the environment's registry, which refuses what `refuse` says, as a
 * registry's permissions or a policy proxy in front of it would: the engine, neurons and skopeo all reach the real
 * registry through it, under the proxy's host. It keeps the Host header, so the upload locations the registry
 * hands out point back at the proxy. Its certificate comes from a CA of its own (`caPem`); the Docker engine
 * accepts any certificate on 127.0.0.0/8, as it does for every loopback registry.
 */
export interface RegistryProxy {
  host: string;
  caPem: string;
  /** Requests refused so far, as `METHOD path`. */
  refused: string[];
  /** Which requests to answer 403 DENIED instead of forwarding; none by default. */
  refuse: (method: string, path: string) => boolean;
  close(): Promise<void>;
}

export async function startRegistryProxy(upstream: { host: string; caPem: string }): Promise<RegistryProxy> {
  const ca = createCertificateAuthority({ commonName: 'neurons test registry proxy CA', days: 1 });
  const certificate = issueServerCertificate(ca, { hosts: ['localhost'], ips: ['127.0.0.1'], days: 1 });
  const [upstreamHost = '', upstreamPort = '443'] = upstream.host.split(':');
  const proxy: Omit<RegistryProxy, 'host' | 'close'> = { caPem: ca.certificatePem, refused: [], refuse: () => false };
  const server: Server = createServer(
    { cert: certificate.certificatePem, key: certificate.keyPem },
    (request, response) => {
      const method = request.method ?? 'GET';
      const path = request.url ?? '/';
      if (proxy.refuse(method, path)) {
        proxy.refused.push(`${method} ${path}`);
        request.resume();
        response
          .writeHead(403, { 'content-type': 'application/json' })
          .end('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}\n');
        return;
      }
      const forwarded = httpsRequest(
        { host: upstreamHost, port: Number(upstreamPort), method, path, headers: request.headers, ca: upstream.caPem },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      forwarded.on('error', (error) => response.destroy(error));
      request.pipe(forwarded);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(proxy, {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
