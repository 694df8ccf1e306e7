import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
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
    throw new UsageError({
      code: 'CA_REGISTRY_INVALID',
      message: `'${registry}' is not a registry HOST[:PORT]`,
      hint: 'give it as in image references, e.g. registry.example.org:5000',
    });
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
    throw new UsageError({
      code: 'TRUST_CA_UNREADABLE',
      file: caFile,
      message: `cannot read ${caFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      hint: 'give the CA certificate (ca.crt) with --ca',
    });
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
    throw new UsageError({
      code: 'TRUST_CA_INVALID',
      file: caFile,
      message: `${caFile} does not hold a CA certificate`,
      hint: 'give the CA that issued the registry certificate (ca.crt), not the server certificate',
    });
  }
  // Only certificates are copied: a file that also holds a key must not spread it.
  return certificates.join('');
}

/** Errors that mean "not allowed to write here" rather than a bug: the fix is to run the copy as root. */
const deniedCodes = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'EISDIR']);

/**
 * A client certificate and its key for a registry that requires mutual TLS, checked to belong together and to be
 * a leaf meant for clients: the engine would otherwise fail at its first pull with an opaque handshake error.
 */
async function readClientPair(certFile: string, keyFile: string): Promise<{ cert: string; key: string }> {
  const read = async (file: string, what: string): Promise<string> =>
    readFile(file, 'utf8').catch((error: unknown) => {
      throw new UsageError({
        code: 'TRUST_CLIENT_UNREADABLE',
        file,
        message: `cannot read the client ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        hint: 'make a pair with `neurons ca issue --client --name NAME`',
      });
    });
  const [cert, key] = await Promise.all([read(certFile, 'certificate'), read(keyFile, 'key')]);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(splitCertificates(cert)[0] ?? '');
  } catch {
    throw new UsageError({
      code: 'TRUST_CLIENT_INVALID',
      file: certFile,
      message: `${certFile} does not hold a certificate`,
      hint: 'give the client certificate (client.crt) with --client-cert',
    });
  }
  if (certificate.ca)
    throw new UsageError({
      code: 'TRUST_CLIENT_INVALID',
      file: certFile,
      message: `${certFile} is a CA certificate, not a client certificate`,
      hint: 'give the client certificate (client.crt) with --client-cert',
    });
  let matches = false;
  try {
    matches = certificate.checkPrivateKey(createPrivateKey(key));
  } catch {
    matches = false;
  }
  if (!matches)
    throw new UsageError({
      code: 'TRUST_CLIENT_KEY_MISMATCH',
      file: keyFile,
      message: `${keyFile} is not the private key of ${certFile}`,
      hint: 'give the key issued with that certificate (client.key)',
    });
  return { cert: splitCertificates(cert).join(''), key };
}

/**
 * Makes the Docker engine trust `registry` (`host:port`): the engine reads `<certsDirectory>/<host:port>/ca.crt`
 * on every connection, so no restart is needed; with a client pair, also `client.cert` and `client.key`, which
 * the engine presents to a registry that requires mutual TLS. Idempotent.
 */
export async function trustEngine(options: {
  registry: string;
  caFile: string;
  certsDirectory: string;
  client?: { certFile: string; keyFile: string };
}): Promise<EngineTrustResult> {
  checkRegistryHost(options.registry);
  const pem = await readCaCertificates(options.caFile);
  const pair = options.client ? await readClientPair(options.client.certFile, options.client.keyFile) : undefined;
  const directory = path.join(options.certsDirectory, options.registry);
  const file = path.join(directory, 'ca.crt');
  const wanted: Array<{ file: string; content: string; mode: number; source: string }> = [
    { file, content: pem, mode: 0o644, source: options.caFile },
  ];
  if (pair && options.client) {
    wanted.push({
      file: path.join(directory, 'client.cert'),
      content: pair.cert,
      mode: 0o644,
      source: options.client.certFile,
    });
    wanted.push({
      file: path.join(directory, 'client.key'),
      content: pair.key,
      mode: 0o600,
      source: options.client.keyFile,
    });
  }
  // Compared certificate by certificate: a copy made by `install` keeps the original's line breaks.
  const same = (current: string | undefined, content: string): boolean =>
    current !== undefined &&
    (current === content || (splitCertificates(content).length > 0 && splitCertificates(current).join('') === content));
  const stale: typeof wanted = [];
  for (const item of wanted)
    if (!same(await readFile(item.file, 'utf8').catch(() => undefined), item.content)) stale.push(item);
  if (stale.length === 0) return { status: 'already-trusted', file };
  try {
    await mkdir(directory, { recursive: true });
    for (const item of stale) {
      await writeFile(item.file, item.content, { mode: item.mode });
      await chmod(item.file, item.mode);
    }
    return { status: 'written', file };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (!deniedCodes.has(code)) throw error;
    return {
      status: 'denied',
      file,
      reason: `${code} (${(error as Error).message})`,
      commands: stale.map(
        (item) =>
          `sudo install -D -m 0${item.mode.toString(8)} ${shellQuote(path.resolve(item.source))} ${shellQuote(item.file)}`,
      ),
    };
  }
}
