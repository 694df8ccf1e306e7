// The wheelhouse of real packages (../shared/wheelhouse: cortexutils, requests and its dependencies) served as a
// PEP 503 index over HTTPS on loopback by the environment's own index server code, with a CA made for this run:
// a package index neither way has seen before, shared by both.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createCertificateAuthority, issueServerCertificate } from '../../dist/ca/certificates.js';
import { startPackageIndex } from '../../dist/environment/package-index-server.js';
import { registerSecret } from './run-command.mjs';

/**
 * Starts the index on 127.0.0.1 (a free port) and writes its CA to `directory/index-ca.crt`. Returns its URL, the
 * URL with credentials (the anchor's build argument), the credentials, the CA file, and `close()`.
 */
export async function startWheelhouseIndex({ wheelhouse, directory }) {
  const ca = createCertificateAuthority({ commonName: 'neurons fleet benchmark index', days: 1 });
  const certificate = issueServerCertificate(ca, { hosts: ['localhost'], ips: ['127.0.0.1'], days: 1 });
  const caFile = path.join(directory, 'index-ca.crt');
  await writeFile(caFile, ca.certificatePem);
  const username = 'bench';
  const password = `bench-${randomBytes(12).toString('base64url')}`;
  registerSecret(password);
  const server = await startPackageIndex({
    root: wheelhouse,
    host: '127.0.0.1',
    port: 0,
    certificatePem: `${certificate.certificatePem}${ca.certificatePem}`,
    keyPem: certificate.keyPem,
    username,
    password,
  });
  const url = `https://127.0.0.1:${server.address().port}/simple/`;
  const withCredentials = new URL(url);
  withCredentials.username = username;
  withCredentials.password = password;
  return {
    url,
    urlWithCredentials: withCredentials.href,
    username,
    password,
    caFile,
    /** What `neurons` reads to use this index instead of the environment's. */
    neuronsEnv: {
      NEURONS_PIP_INDEX_URL: url,
      NEURONS_PIP_INDEX_USERNAME: username,
      NEURONS_PIP_INDEX_PASSWORD: password,
      NEURONS_PIP_INDEX_CA: caFile,
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
