import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors/neurons-error.js';
import {
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
  type KeyAndCertificate,
} from './certificates.js';

export const caCertificateFile = 'ca.crt';
export const caKeyFile = 'ca.key';

/** A key is written aside then renamed, 0600 from its first byte, whatever mode an older file had. */
async function writeKey(file: string, keyPem: string): Promise<void> {
  await writeFile(`${file}.tmp`, keyPem, { mode: 0o600 });
  await chmod(`${file}.tmp`, 0o600);
  await rename(`${file}.tmp`, file);
}

async function writeCertificate(file: string, pem: string): Promise<void> {
  await writeFile(`${file}.tmp`, pem, { mode: 0o644 });
  await rename(`${file}.tmp`, file);
}

export interface WrittenFiles {
  certificateFile: string;
  keyFile: string;
  certificate: X509Certificate;
}

/** Creates a private CA in `out`; an existing one is kept unless `force` (what it issued would stop verifying). */
export async function initCertificateAuthority(options: {
  out: string;
  commonName: string;
  days: number;
  force: boolean;
}): Promise<WrittenFiles> {
  const certificateFile = path.join(options.out, caCertificateFile);
  const keyFile = path.join(options.out, caKeyFile);
  const existing = [certificateFile, keyFile].filter((file) => existsSync(file));
  if (existing.length > 0 && !options.force) {
    throw new UsageError({
      code: 'CA_EXISTS',
      file: existing[0] ?? certificateFile,
      message: `a CA already exists in ${options.out}`,
      hint: 'keep it, choose another --output, or pass --force to replace it (certificates it issued will stop verifying)',
    });
  }
  const ca = createCertificateAuthority({ commonName: options.commonName, days: options.days });
  await mkdir(options.out, { recursive: true });
  await writeKey(keyFile, ca.keyPem);
  await writeCertificate(certificateFile, ca.certificatePem);
  return { certificateFile, keyFile, certificate: new X509Certificate(ca.certificatePem) };
}

/** Reads the CA written by `initCertificateAuthority`, checking that the key is the certificate's. */
export async function readCertificateAuthority(directory: string): Promise<KeyAndCertificate> {
  const certificateFile = path.join(directory, caCertificateFile);
  const keyFile = path.join(directory, caKeyFile);
  let ca: KeyAndCertificate;
  try {
    ca = { certificatePem: await readFile(certificateFile, 'utf8'), keyPem: await readFile(keyFile, 'utf8') };
  } catch (error) {
    throw new UsageError({
      code: 'CA_NOT_FOUND',
      file: directory,
      message: `no CA in ${directory}: ${(error as NodeJS.ErrnoException).code ?? String(error)} reading ${caCertificateFile} and ${caKeyFile}`,
      hint: 'create one with `neurons ca init --output DIR`, then pass that folder to --ca',
    });
  }
  let matches = false;
  try {
    const certificate = new X509Certificate(ca.certificatePem);
    matches = certificate.ca && certificate.checkPrivateKey(createPrivateKey(ca.keyPem));
  } catch {
    matches = false;
  }
  if (!matches) {
    throw new UsageError({
      code: 'CA_INVALID',
      file: directory,
      message: `${caCertificateFile} is not a CA certificate matching ${caKeyFile}`,
      hint: 'point --ca at a folder written by `neurons ca init`',
    });
  }
  return ca;
}

export type IssueRequest =
  | { kind: 'server'; hosts: string[]; ips: string[]; days: number }
  | { kind: 'client'; commonName: string; days: number };

/**
 * Issues a server (`server.crt`, `server.key`) or client (`client.crt`, `client.key`) certificate into `out`.
 * The certificate file holds the leaf then the CA, the chain a server must present.
 */
export async function issueCertificateFiles(
  ca: KeyAndCertificate,
  request: IssueRequest,
  out: string,
): Promise<WrittenFiles> {
  const issued =
    request.kind === 'server'
      ? issueServerCertificate(ca, { hosts: request.hosts, ips: request.ips, days: request.days })
      : issueClientCertificate(ca, { commonName: request.commonName, days: request.days });
  const certificateFile = path.join(out, `${request.kind}.crt`);
  const keyFile = path.join(out, `${request.kind}.key`);
  await mkdir(out, { recursive: true });
  await writeKey(keyFile, issued.keyPem);
  await writeCertificate(certificateFile, `${issued.certificatePem}${ca.certificatePem}`);
  return { certificateFile, keyFile, certificate: new X509Certificate(issued.certificatePem) };
}
