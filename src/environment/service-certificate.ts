import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { issueServerCertificate, type KeyAndCertificate } from '../ca/certificates.js';

/**
 * A TLS certificate from the environment's CA for a service on loopback (`localhost`, `ip` and `::1`), written to
 * `server.crt` (leaf then CA: the chain the service presents) and `server.key` (0600) in `directory`.
 */
export async function writeServiceCertificate(
  ca: KeyAndCertificate,
  ip: string,
  directory: string,
): Promise<{ certificateFile: string; keyFile: string }> {
  const server = issueServerCertificate(ca, { hosts: ['localhost'], ips: [ip, '::1'], days: 825 });
  const certificateFile = path.join(directory, 'server.crt');
  const keyFile = path.join(directory, 'server.key');
  await writeFile(certificateFile, `${server.certificatePem}${ca.certificatePem}`);
  await writeFile(keyFile, server.keyPem, { mode: 0o600 });
  return { certificateFile, keyFile };
}
