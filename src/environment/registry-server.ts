import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KeyAndCertificate } from '../ca/certificates.js';
import { EnvironmentError } from '../errors/neurons-error.js';
import { RegistryClient } from '../registry/client.js';
import { isAlive, run, startDetached, waitFor } from './processes.js';
import { writeServiceCertificate } from './service-certificate.js';

export interface RegistryServer {
  host: string;
  username: string;
  password: string;
  pid: number | undefined;
}

/**
 * How the registry authenticates: htpasswd (basic credentials checked, with bcrypt, on every request) or a token
 * service (credentials checked once per token; each request carries a signed token), as public registries do.
 */
export type RegistryAuthentication =
  | { kind: 'htpasswd' }
  | { kind: 'token'; realm: string; service: string; issuer: string; bundleFile: string; bundleDigest: string };

function authConfig(directory: string, auth: RegistryAuthentication): string[] {
  if (auth.kind === 'token') {
    // The registry reads the bundle once, at start: its digest is in the configuration text, so a new signing
    // certificate makes the configuration differ and the registry is restarted with it.
    return [
      'auth:',
      '  token:',
      `    realm: ${auth.realm}`,
      `    service: ${auth.service}`,
      `    issuer: ${auth.issuer}`,
      `    rootcertbundle: ${auth.bundleFile}`,
      `    # rootcertbundle sha256: ${auth.bundleDigest}`,
    ];
  }
  return ['auth:', '  htpasswd:', '    realm: neurons', `    path: ${path.join(directory, 'htpasswd')}`];
}

function registryConfig(directory: string, host: string, auth: RegistryAuthentication): string {
  // CNCF distribution 2.8 configuration: TLS with our certificate, htpasswd or token auth, deletes allowed (for cleanup).
  // The access log (one line per request, what tests read) stays; the info level's two structured lines per request
  // cost the registry about as much CPU as serving a small manifest, and filled half a gigabyte a day.
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(directory, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    '  tls:',
    `    certificate: ${path.join(directory, 'server.crt')}`,
    `    key: ${path.join(directory, 'server.key')}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
    ...authConfig(directory, auth),
    '',
  ].join('\n');
}

async function answers(client: RegistryClient): Promise<boolean> {
  try {
    await client.ping();
    return true;
  } catch {
    return false;
  }
}

/** Serves a CNCF distribution registry on loopback over TLS (private CA) with htpasswd or token authentication. */
export async function ensureRegistry(options: {
  directory: string;
  /** Folder name under `directory`: `registry`, `mirror`. */
  name: string;
  host: string;
  ca: KeyAndCertificate;
  credentials: { username: string; password: string };
  previousPid: number | undefined;
  /** Whether the registry ran before with these credentials: if so, and it answers with its configuration, it is kept. */
  reuse: boolean;
  auth: RegistryAuthentication;
  log: (line: string) => void;
}): Promise<RegistryServer> {
  const directory = path.join(options.directory, options.name);
  const configFile = path.join(directory, 'config.yml');
  const config = registryConfig(directory, options.host, options.auth);
  const htpasswdFile = path.join(directory, 'htpasswd');
  // bcrypt at cost 5: the registry checks the password on every request, and at htpasswd's default cost that
  // alone takes ~70 ms of CPU per request. This is a local test registry; the password is random and long.
  const bcryptCost = '05';
  const htpasswdCurrent =
    options.auth.kind !== 'htpasswd' ||
    (existsSync(htpasswdFile) && (await readFile(htpasswdFile, 'utf8')).includes(`:$2y$${bcryptCost}$`));
  const configCurrent = htpasswdCurrent && existsSync(configFile) && (await readFile(configFile, 'utf8')) === config;
  const { username, password } = options.credentials;
  const client = new RegistryClient({
    host: options.host,
    ca: [options.ca.certificatePem],
    credentials: { username, password },
  });
  try {
    if (options.reuse && configCurrent && isAlive(options.previousPid) && (await answers(client))) {
      options.log(`${options.name}: running on https://${options.host}`);
      return { host: options.host, username, password, pid: options.previousPid };
    }
    if (isAlive(options.previousPid)) process.kill(options.previousPid ?? 0, 'SIGTERM');
    await mkdir(path.join(directory, 'data'), { recursive: true });
    const [hostname] = options.host.split(':');
    await writeServiceCertificate(options.ca, hostname ?? '127.0.0.1', directory);
    // htpasswd reads the password on stdin (-i): it never shows in a process listing.
    if (options.auth.kind === 'htpasswd')
      run('htpasswd', ['-B', '-C', String(Number(bcryptCost)), '-i', '-c', htpasswdFile, username], {
        input: password,
        what: 'htpasswd',
      });
    await writeFile(configFile, config);
    await rotateLog(path.join(directory, 'registry.log'));
    const pid = startDetached('docker-registry', ['serve', configFile], path.join(directory, 'registry.log'));
    await waitFor(options.name, () => answers(client), 30_000, `see ${path.join(directory, 'registry.log')}`);
    options.log(`${options.name}: started on https://${options.host} (pid ${pid})`);
    return { host: options.host, username, password, pid };
  } finally {
    await client.close();
  }
}

/**
 * The engine trusts the registry through /etc/docker/certs.d/<host:port>/ca.crt, and the machine's Docker client
 * is logged in, so `docker pull` works as it would for a user.
 */
export async function trustAndLogIn(server: RegistryServer, caPem: string, log: (line: string) => void): Promise<void> {
  const certsDirectory = path.join(process.env['NEURONS_DOCKER_CERTS_DIR'] ?? '/etc/docker/certs.d', server.host);
  const caFile = path.join(certsDirectory, 'ca.crt');
  const current = existsSync(caFile) ? await readFile(caFile, 'utf8') : '';
  if (current !== caPem) {
    try {
      await mkdir(certsDirectory, { recursive: true });
      await writeFile(caFile, caPem);
    } catch (error) {
      throw new EnvironmentError(
        {
          code: 'ENV_ENGINE_TRUST',
          message: `cannot write ${caFile}: ${(error as Error).message}`,
          hint: 'run `neurons env up` as root',
        },
        error,
      );
    }
  }
  const login = spawnSync('docker', ['login', server.host, '--username', server.username, '--password-stdin'], {
    input: server.password,
    encoding: 'utf8',
  });
  if (login.status !== 0) {
    throw new EnvironmentError({
      code: 'ENV_DOCKER_LOGIN',
      message: `docker login ${server.host} failed: ${String(login.stderr).trim()}`,
      hint: 'check that the Docker CLI is installed and the engine trusts the registry CA',
    });
  }
  log(`docker client: logged in to ${server.host}; engine trusts ${caFile}`);
}

/** Past this size, a registry's log starts anew when the registry does (the previous one kept as `.1`). */
const logLimitBytes = 256 * 1024 * 1024;

async function rotateLog(file: string): Promise<void> {
  const size = await stat(file).then(
    (info) => info.size,
    () => 0,
  );
  if (size > logLimitBytes) await rename(file, `${file}.1`);
}
