import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createCertificateAuthority, daysUntilExpiry, type KeyAndCertificate } from '../ca/certificates.js';
import { RegistryClient } from '../registry/client.js';
import { baseImageRecipes, ensureBaseImage, ensureLocalBaseImage, type BaseImage } from './base-images.js';
import { ensureDockerEngine } from './docker-engine.js';
import { ensureEmulation, systemBinfmtHost } from './emulation.js';
import { ensurePackageIndex } from './package-index.js';
import { ensureRegistry, trustAndLogIn } from './registry-server.js';
import { ensureTokenService } from './token-service.js';
import { readEnvironmentState, writeEnvironmentState, type EnvironmentState } from '../state/environment-state.js';
import { ensureSystemPackages } from './system-packages.js';

export interface EnvironmentOptions {
  directory: string;
  registryPort: number;
  mirrorPort: number;
  indexPort: number;
  tokenPort: number;
  /** Debian mirror for mmdebstrap; its default when undefined. */
  debianMirror: string | undefined;
  log: (line: string) => void;
}

export function environmentOptions(
  env: NodeJS.ProcessEnv,
  directory: string,
  log: (line: string) => void,
): EnvironmentOptions {
  return {
    directory,
    registryPort: Number(env['NEURONS_ENV_REGISTRY_PORT'] ?? 5443),
    mirrorPort: Number(env['NEURONS_ENV_MIRROR_PORT'] ?? 5445),
    indexPort: Number(env['NEURONS_ENV_INDEX_PORT'] ?? 5444),
    tokenPort: Number(env['NEURONS_ENV_TOKEN_PORT'] ?? 5446),
    debianMirror: env['NEURONS_ENV_DEBIAN_MIRROR'] || undefined,
    log,
  };
}

async function ensureCertificateAuthority(directory: string): Promise<KeyAndCertificate> {
  const certificateFile = path.join(directory, 'ca', 'ca.crt');
  const keyFile = path.join(directory, 'ca', 'ca.key');
  if (existsSync(certificateFile) && existsSync(keyFile)) {
    const existing = {
      certificatePem: await readFile(certificateFile, 'utf8'),
      keyPem: await readFile(keyFile, 'utf8'),
    };
    if (daysUntilExpiry(existing.certificatePem) > 30) return existing;
  }
  const ca = createCertificateAuthority({ commonName: 'neurons local environment CA', days: 3650 });
  await mkdir(path.dirname(certificateFile), { recursive: true });
  await writeFile(keyFile, ca.keyPem, { mode: 0o600 });
  await writeFile(certificateFile, ca.certificatePem);
  return ca;
}

/**
 * Brings the local environment up, idempotently: installs what is missing, starts what is not running,
 * builds base images once, and records everything in the state file.
 */
export async function bringEnvironmentUp(options: EnvironmentOptions): Promise<EnvironmentState> {
  const { directory, log } = options;
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const previous = await readEnvironmentState(directory);
  ensureSystemPackages(log);
  // arm64 base images are built and run here through QEMU (an arm64 host would need the converse: not done).
  if (process.arch !== 'arm64' && baseImageRecipes.some((recipe) => recipe.platforms.includes('arm64')))
    await ensureEmulation(systemBinfmtHost(), log);
  const ca = await ensureCertificateAuthority(directory);
  const caChanged = previous !== undefined && !existsSync(previous.caFile);
  const dockerdPid = await ensureDockerEngine(directory, log);
  const host = `127.0.0.1:${options.registryPort}`;
  const reuse = previous !== undefined && !caChanged && previous.registry.host === host;
  const { tokenService, registry, mirror, mirrorHost } = await startRegistries(options, { ca, host, previous, reuse });
  const baseImages = await readyBaseImages(options, host, ca.certificatePem, registry);
  const index = await ensurePackageIndex({
    directory,
    host: '127.0.0.1',
    port: options.indexPort,
    ca,
    previous: reuse
      ? { username: previous.packageIndex.username, password: previous.packageIndex.password }
      : undefined,
    previousPid: previous?.pids['packageIndex'],
    log,
  });
  const pids: Record<string, number> = {};
  const dockerd = dockerdPid ?? previous?.pids['dockerd'];
  if (dockerd !== undefined) pids['dockerd'] = dockerd;
  if (tokenService.pid !== undefined) pids['tokenService'] = tokenService.pid;
  if (registry.pid !== undefined) pids['registry'] = registry.pid;
  if (mirror.pid !== undefined) pids['mirror'] = mirror.pid;
  if (index.pid !== undefined) pids['packageIndex'] = index.pid;
  const byRuntime = new Map(
    baseImageRecipes.map((recipe, index) => [recipe.runtime, baseImages[index]?.reference ?? '']),
  );
  const [python = '', go = '', node = '', toolkitBase = ''] = (['python', 'go', 'node', 'toolkit'] as const).map(
    (runtime) => byRuntime.get(runtime),
  );
  const state: EnvironmentState = {
    version: 1,
    directory,
    caFile: path.join(directory, 'ca', 'ca.crt'),
    registry: { host, username: registry.username, password: registry.password, namespace: 'neurons' },
    mirror: { host: mirrorHost },
    baseImages: { python, go, node },
    basePlatforms: Object.fromEntries(
      baseImageRecipes.map((recipe, index) => [
        recipe.runtime,
        (baseImages[index]?.platforms ?? []).map((architecture) => `linux/${architecture}`),
      ]),
    ),
    toolkitBase,
    packageIndex: { url: index.url, username: index.username, password: index.password },
    pids,
  };
  await writeEnvironmentState(state);
  return state;
}

/**
 * The registry behind its token service, and the mirror, both trusted by the engine and logged in. The primary
 * registry authenticates with tokens, as public registries do; the mirror with htpasswd: both schemes of the
 * distribution API run for real.
 */
async function startRegistries(
  options: EnvironmentOptions,
  context: {
    ca: Awaited<ReturnType<typeof ensureCertificateAuthority>>;
    host: string;
    previous: EnvironmentState | undefined;
    reuse: boolean;
  },
) {
  const { directory, log } = options;
  const { ca, host, previous, reuse } = context;
  // One set of credentials for the registry, its token service and the mirror: one login, two registries.
  const credentials =
    reuse && previous
      ? { username: previous.registry.username, password: previous.registry.password }
      : { username: 'neurons', password: randomBytes(18).toString('base64url') };
  const tokenService = await ensureTokenService({
    directory,
    host: '127.0.0.1',
    port: options.tokenPort,
    ca,
    credentials,
    previousPid: previous?.pids['tokenService'],
    log,
  });
  const registry = await ensureRegistry({
    directory,
    name: 'registry',
    host,
    ca,
    credentials,
    previousPid: previous?.pids['registry'],
    reuse,
    auth: {
      kind: 'token',
      realm: tokenService.realm,
      service: tokenService.service,
      issuer: tokenService.issuer,
      bundleFile: tokenService.bundleFile,
      bundleDigest: tokenService.bundleDigest,
    },
    log,
  });
  await trustAndLogIn(registry, ca.certificatePem, log);
  const mirrorHost = `127.0.0.1:${options.mirrorPort}`;
  const mirror = await ensureRegistry({
    directory,
    name: 'mirror',
    host: mirrorHost,
    ca,
    credentials,
    previousPid: previous?.pids['mirror'],
    reuse: reuse && previous?.mirror?.host === mirrorHost,
    auth: { kind: 'htpasswd' },
    log,
  });
  await trustAndLogIn(mirror, ca.certificatePem, log);
  return { tokenService, registry, mirror, mirrorHost };
}

/** Every base image in the registry (built offline when missing) and in the engine, in recipe order. */
async function readyBaseImages(
  options: EnvironmentOptions,
  host: string,
  caPem: string,
  registry: { username: string; password: string },
): Promise<BaseImage[]> {
  const client = new RegistryClient({
    host,
    ca: [caPem],
    credentials: { username: registry.username, password: registry.password },
  });
  const started = Date.now();
  try {
    const images = await Promise.all(
      baseImageRecipes.map(async (recipe) => {
        const image = await ensureBaseImage(recipe, host, client, options.debianMirror, options.log);
        await ensureLocalBaseImage(recipe, host, options.log);
        return image;
      }),
    );
    options.log(`base images: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return images;
  } finally {
    await client.close();
  }
}
