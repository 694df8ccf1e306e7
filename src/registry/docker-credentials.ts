import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { registerSecret } from '../util/mask.js';

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** Docker Hub's credentials are stored under its legacy index URL. */
function keysFor(host: string): string[] {
  return host === 'docker.io' ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io'] : [host, `https://${host}`, `http://${host}`];
}

function fromHelper(helper: string, server: string): { username: string; password: string } | undefined {
  const result = spawnSync(`docker-credential-${helper}`, ['get'], { input: server, encoding: 'utf8', timeout: 15_000 });
  if (result.status !== 0 || !result.stdout) return undefined;
  const parsed = JSON.parse(result.stdout) as { Username?: string; Secret?: string };
  return parsed.Username && parsed.Secret ? { username: parsed.Username, password: parsed.Secret } : undefined;
}

/**
 * The credentials the Docker client would use for `host`: `credHelpers`, then `auths`, then `credsStore`, from
 * `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`).
 */
export async function readDockerCredentials(host: string, env: NodeJS.ProcessEnv): Promise<{ username: string; password: string } | undefined> {
  const file = path.join(env['DOCKER_CONFIG'] ?? path.join(env['HOME'] ?? homedir(), '.docker'), 'config.json');
  let config: DockerConfigFile;
  try {
    config = JSON.parse(await readFile(file, 'utf8')) as DockerConfigFile;
  } catch {
    return undefined;
  }
  let found: { username: string; password: string } | undefined;
  const helper = keysFor(host).map((key) => config.credHelpers?.[key]).find(Boolean);
  if (helper) found = fromHelper(helper, host);
  if (!found) {
    const entry = keysFor(host).map((key) => config.auths?.[key]).find(Boolean);
    if (entry?.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) found = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    } else if (entry?.username && entry.password) {
      found = { username: entry.username, password: entry.password };
    }
  }
  if (!found && config.credsStore) found = fromHelper(config.credsStore, host === 'docker.io' ? 'https://index.docker.io/v1/' : host);
  registerSecret(found?.password);
  return found;
}
