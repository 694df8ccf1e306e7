import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { issueClientCertificate, type KeyAndCertificate } from '../ca/certificates.js';
import { packageRoot } from '../util/package-root.js';
import { answersOk } from './https-answers.js';
import { isAlive, startDetached, waitFor } from './processes.js';
import { writeServiceCertificate } from './service-certificate.js';

export interface TokenService {
  /** What the registry's configuration names: `auth.token.*`. */
  realm: string;
  service: string;
  issuer: string;
  /** The certificate of the signing key, the registry's `rootcertbundle`, and the SHA-256 of its content. */
  bundleFile: string;
  bundleDigest: string;
  pid: number | undefined;
}

/**
 * Serves the token service of the environment's registry over HTTPS on loopback (same private CA); the signing
 * key and certificate are kept while they exist, so tokens and the registry's configuration stay valid.
 */
export async function ensureTokenService(options: {
  directory: string;
  host: string;
  port: number;
  ca: KeyAndCertificate;
  credentials: { username: string; password: string };
  previousPid: number | undefined;
  log: (line: string) => void;
}): Promise<TokenService> {
  const directory = path.join(options.directory, 'token-service');
  const realm = `https://${options.host}:${options.port}/token`;
  const service = {
    realm,
    service: 'neurons-registry',
    issuer: 'neurons-environment',
    bundleFile: path.join(directory, 'signer.crt'),
  };
  const configFile = path.join(directory, 'config.json');
  const authorization = `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64')}`;
  const configWanted = {
    host: options.host,
    port: options.port,
    issuer: service.issuer,
    service: service.service,
    username: options.credentials.username,
    password: options.credentials.password,
    lifetime: 900,
  };
  const current =
    existsSync(configFile) && existsSync(service.bundleFile)
      ? (JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>)
      : undefined;
  const sameConfig =
    current !== undefined && Object.entries(configWanted).every(([key, value]) => current[key] === value);
  const bundleDigest = async (): Promise<string> =>
    createHash('sha256')
      .update(await readFile(service.bundleFile))
      .digest('hex');
  if (
    sameConfig &&
    isAlive(options.previousPid) &&
    (await answersOk(`${realm}?service=${service.service}`, authorization, options.ca.certificatePem))
  ) {
    options.log(`token service: running on ${realm}`);
    return { ...service, bundleDigest: await bundleDigest(), pid: options.previousPid };
  }
  if (isAlive(options.previousPid)) process.kill(options.previousPid ?? 0, 'SIGTERM');
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const { certificateFile, keyFile } = await writeServiceCertificate(options.ca, options.host, directory);
  const signingKeyFile = path.join(directory, 'signer.key');
  if (!existsSync(signingKeyFile) || !existsSync(service.bundleFile)) {
    const signer = issueClientCertificate(options.ca, { commonName: 'neurons environment token signer', days: 3650 });
    await writeFile(signingKeyFile, signer.keyPem, { mode: 0o600 });
    await writeFile(service.bundleFile, signer.certificatePem);
  }
  await writeFile(configFile, JSON.stringify({ ...configWanted, certificateFile, keyFile, signingKeyFile }), {
    mode: 0o600,
  });
  const entry = path.join(packageRoot(), 'dist', 'environment', 'token-server.js');
  const pid = startDetached(process.execPath, [entry, configFile], path.join(directory, 'token.log'));
  await waitFor(
    'token service',
    () => answersOk(`${realm}?service=${service.service}`, authorization, options.ca.certificatePem),
    15_000,
    `see ${path.join(directory, 'token.log')}`,
  );
  options.log(`token service: started on ${realm} (pid ${pid})`);
  return { ...service, bundleDigest: await bundleDigest(), pid };
}
