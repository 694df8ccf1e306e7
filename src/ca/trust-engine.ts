import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors/neurons-error.js';
import { splitCertificates } from '../trust/pem.js';

export const defaultDockerCertsDirectory = '/etc/docker/certs.d';

export type EngineTrustResult =
  | { status: 'written' | 'already-trusted'; file: string }
  /** No right to write there: what to run as root instead. */
  | { status: 'denied'; file: string; reason: string; commands: string[] };

const hostLabel = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
// A name or an address, with an optional port: it becomes a folder name, so nothing like `..` or `/` gets through.
const registryPattern = new RegExp(`^(?:${hostLabel}(?:\\.${hostLabel})*|\\[[0-9A-Fa-f:.]+\\])(?::\\d{1,5})?$`);

export function checkRegistryHost(registry: string): void {
  if (!registryPattern.test(registry)) {
    throw new UsageError({ code: 'CA_REGISTRY_INVALID', message: `'${registry}' is not a registry HOST[:PORT]`, hint: 'give it as in image references, e.g. registry.example.org:5000' });
  }
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The certificates of the CA file, checked to start with a CA: a server certificate there would trust nothing. */
async function readCaCertificates(caFile: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(caFile, 'utf8');
  } catch (error) {
    throw new UsageError({ code: 'TRUST_CA_UNREADABLE', file: caFile, message: `cannot read ${caFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, hint: 'give the CA certificate (ca.crt) with --ca' });
  }
  const certificates = splitCertificates(text);
  const [first] = certificates;
  let isCa = false;
  try {
    isCa = first !== undefined && new X509Certificate(first).ca;
  } catch {
    isCa = false;
  }
  if (!isCa) {
    throw new UsageError({ code: 'TRUST_CA_INVALID', file: caFile, message: `${caFile} does not hold a CA certificate`, hint: 'give the CA that issued the registry certificate (ca.crt), not the server certificate' });
  }
  // Only certificates are copied: a file that also holds a key must not spread it.
  return certificates.join('');
}

/** Errors that mean "not allowed to write here" rather than a bug: the fix is to run the copy as root. */
const deniedCodes = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'EISDIR']);

/**
 * Makes the Docker engine trust `registry` (`host:port`): the engine reads `<certsDirectory>/<host:port>/ca.crt`
 * on every connection, so no restart is needed. Idempotent.
 */
export async function trustEngine(options: { registry: string; caFile: string; certsDirectory: string }): Promise<EngineTrustResult> {
  checkRegistryHost(options.registry);
  const pem = await readCaCertificates(options.caFile);
  const directory = path.join(options.certsDirectory, options.registry);
  const file = path.join(directory, 'ca.crt');
  const current = await readFile(file, 'utf8').catch(() => undefined);
  // Compared certificate by certificate: a copy made by `install` keeps the original's line breaks.
  if (current !== undefined && splitCertificates(current).join('') === pem) return { status: 'already-trusted', file };
  try {
    await mkdir(directory, { recursive: true });
    await writeFile(file, pem, { mode: 0o644 });
    return { status: 'written', file };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (!deniedCodes.has(code)) throw error;
    return {
      status: 'denied',
      file,
      reason: `${code} (${(error as Error).message})`,
      commands: [`sudo install -D -m 0644 ${shellQuote(path.resolve(options.caFile))} ${shellQuote(file)}`],
    };
  }
}
