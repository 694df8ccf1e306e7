import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import path from 'node:path';
import { EnvironmentError, UsageError } from '../errors/neurons-error.js';
import { registerSecret } from '../util/mask.js';
import { readFileWithin, sizeLimits } from '../util/size-limits.js';

interface DockerConfigFile {
  auths?: Record<string, unknown>;
  credsStore?: unknown;
  credHelpers?: Record<string, unknown>;
}

/** Docker Hub's credentials are stored under its legacy index URL. */
function keysFor(host: string): string[] {
  return host === 'docker.io'
    ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io']
    : [host, `https://${host}`, `http://${host}`];
}

type Credentials = { username: string; password: string };

/**
 * Asks `docker-credential-<helper>`. A helper that answers "not found" (a non-zero exit) has nothing for this host;
 * a helper that is not installed, or answers something that is not its JSON, is an error naming the setting.
 */
function fromHelper(helper: unknown, server: string, file: string, pointer: string): Credentials | undefined {
  // A name with a slash would run a program by path (`docker-credential-x/../../tmp/evil`), not an installed helper.
  if (typeof helper !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(helper))
    throw invalid(
      file,
      pointer,
      `${JSON.stringify(helper)?.slice(0, 80) ?? 'null'} is not the name of a credential helper`,
    );
  const result = spawnSync(`docker-credential-${helper}`, ['get'], {
    input: server,
    encoding: 'utf8',
    timeout: 15_000,
  });
  if (result.error) {
    throw new EnvironmentError(
      {
        code: 'DOCKER_CREDENTIAL_HELPER',
        file,
        pointer,
        message: `credential helper docker-credential-${helper} cannot be run: ${result.error.message}`,
        hint: `install docker-credential-${helper}, or remove the setting from ${file}`,
      },
      result.error,
    );
  }
  if (result.status !== 0 || !result.stdout) return undefined;
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(result.stdout) as { Username?: unknown; Secret?: unknown };
  } catch {
    throw new EnvironmentError({
      code: 'DOCKER_CREDENTIAL_HELPER',
      file,
      pointer,
      message: `docker-credential-${helper} answered something that is not JSON`,
      hint: 'check the helper: `docker-credential-<helper> get` must print {"Username":...,"Secret":...}',
    });
  }
  return typeof parsed.Username === 'string' && typeof parsed.Secret === 'string' && parsed.Username && parsed.Secret
    ? { username: parsed.Username, password: parsed.Secret }
    : undefined;
}

function invalid(file: string, pointer: string, message: string): UsageError {
  return new UsageError({
    code: 'DOCKER_CONFIG_INVALID',
    file,
    pointer,
    message,
    hint: 'fix the file (or log in again with `docker login`), or point DOCKER_CONFIG elsewhere',
  });
}

/** An `auths` entry: `auth` (base64 of `user:password`) or both `username` and `password`; half of a pair is refused. */
function fromAuthEntry(entry: unknown, file: string, pointer: string): Credentials | undefined {
  if (typeof entry !== 'object' || entry === null) throw invalid(file, pointer, 'an auths entry must be an object');
  const { auth, username, password } = entry as Record<string, unknown>;
  if (typeof auth === 'string' && auth !== '') {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0 || colon === decoded.length - 1)
      throw invalid(file, `${pointer}/auth`, '`auth` is not the base64 of user:password');
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof username === 'string' && username !== '') {
    if (typeof password !== 'string' || password === '')
      throw invalid(file, `${pointer}/password`, `a username (${username}) without a password`);
    return { username, password };
  }
  if (typeof password === 'string' && password !== '')
    throw invalid(file, `${pointer}/username`, 'a password without a username');
  // Nothing else is a credential neurons can use (an `identitytoken` is an OAuth refresh token).
  return undefined;
}

/**
 * The credentials the Docker client would use for `host`: `credHelpers`, then `auths`, then `credsStore`, from
 * `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`).
 */
export async function readDockerCredentials(host: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  const file = path.join(env['DOCKER_CONFIG'] ?? path.join(env['HOME'] ?? homedir(), '.docker'), 'config.json');
  let bytes: Buffer;
  try {
    bytes = await readFileWithin(file, sizeLimits.settingsFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw invalid(file, '', `cannot be read: ${(error as Error).message}`);
  }
  let config: DockerConfigFile;
  try {
    config = JSON.parse(bytes.toString('utf8')) as DockerConfigFile;
  } catch (error) {
    throw invalid(file, '', `not JSON: ${(error as Error).message}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw invalid(file, '', 'not a JSON object');
  let found: Credentials | undefined;
  const helperKey = keysFor(host).find((key) => config.credHelpers?.[key]);
  if (helperKey !== undefined)
    found = fromHelper(config.credHelpers?.[helperKey], host, file, `/credHelpers/${helperKey}`);
  if (!found) {
    const authKey = keysFor(host).find((key) => config.auths?.[key]);
    if (authKey !== undefined) found = fromAuthEntry(config.auths?.[authKey], file, `/auths/${authKey}`);
  }
  if (!found && config.credsStore)
    found = fromHelper(
      config.credsStore,
      host === 'docker.io' ? 'https://index.docker.io/v1/' : host,
      file,
      '/credsStore',
    );
  registerSecret(found?.password);
  return found;
}
