import { readDockerCredentials } from '../registry/docker-credentials.js';
import type { ResolvedRegistry } from '../registry/endpoint.js';
import { registerSecret } from '../util/mask.js';
import { checkRegistry, pairedCredentials } from './check-values.js';
import type { ConfigOverrides, PackageIndexSetting } from './config-types.js';
import { readPem } from './read-pem.js';
import type { ConfigFile } from './schema.js';
import { secretFromEnv } from './secrets.js';

/** The configuration file and the folder its relative paths start from. */
export interface ConfigSource {
  file: string;
  base: string;
}

type FileRegistry = NonNullable<ConfigFile['registries']>[number];

/** The registries of the file, with their secrets, CAs and client certificates read. */
export async function resolveFileRegistries(
  registries: ConfigFile['registries'],
  env: NodeJS.ProcessEnv,
  source: ConfigSource,
  namespaceOverride: { value: string | undefined; origin: string },
): Promise<ResolvedRegistry[]> {
  const resolved: ResolvedRegistry[] = [];
  for (const [index, registry] of (registries ?? []).entries())
    resolved.push(await resolveFileRegistry(registry, `/registries/${index}`, env, source, namespaceOverride));
  return resolved;
}

async function resolveFileRegistry(
  registry: FileRegistry,
  pointer: string,
  env: NodeJS.ProcessEnv,
  { file, base }: ConfigSource,
  namespaceOverride: { value: string | undefined; origin: string },
): Promise<ResolvedRegistry> {
  const username = registry.username ?? (registry.usernameEnv ? env[registry.usernameEnv] : undefined);
  const password = secretFromEnv(env, registry.passwordEnv, file, `${pointer}/passwordEnv`);
  const ca = await Promise.all(
    (registry.ca ?? []).map((caFile, caIndex) => readPem(caFile, base, file, `${pointer}/ca/${caIndex}`)),
  );
  const clientCertificate = registry.clientCertificate
    ? {
        cert: await readPem(registry.clientCertificate, base, file, `${pointer}/clientCertificate`),
        key: await readPem(registry.clientKey ?? registry.clientCertificate, base, file, `${pointer}/clientKey`, 'key'),
      }
    : undefined;
  registerSecret(clientCertificate?.key);
  const credentials = pairedCredentials(
    username,
    password,
    { origin: file, pointer: `${pointer}/username` },
    { origin: file, pointer: `${pointer}/passwordEnv` },
  );
  // `--namespace` / NEURONS_NAMESPACE name the images' path whichever registry they go to.
  const namespace = namespaceOverride.value ?? registry.namespace;
  if (namespaceOverride.value !== undefined)
    checkRegistry(
      registry.host,
      namespace,
      { origin: file, pointer: `${pointer}/host` },
      { origin: namespaceOverride.origin },
    );
  return {
    host: registry.host,
    namespace,
    credentials,
    ca,
    plainHttp: registry.plainHttp ?? false,
    insecure: registry.insecure ?? false,
    ...(clientCertificate ? { clientCertificate } : {}),
  };
}

/**
 * The registry `--registry` or NEURONS_REGISTRY names, which replaces those of the file (it keeps the first one's
 * namespace, credentials and CAs unless others are given). Undefined when neither names one.
 */
export async function registryOverride(
  overrides: ConfigOverrides,
  env: NodeJS.ProcessEnv,
  namespaceOverride: string | undefined,
  fromFile: ResolvedRegistry[],
  file: string,
): Promise<ResolvedRegistry | undefined> {
  const host = overrides.registry ?? env['NEURONS_REGISTRY'];
  if (!host) return undefined;
  const namespace = namespaceOverride ?? fromFile[0]?.namespace ?? 'neurons';
  const namespaceOrigin =
    overrides.namespace !== undefined
      ? '--namespace'
      : env['NEURONS_NAMESPACE'] !== undefined
        ? 'NEURONS_NAMESPACE'
        : file;
  checkRegistry(
    host,
    namespace,
    { origin: overrides.registry !== undefined ? '--registry' : 'NEURONS_REGISTRY' },
    { origin: namespaceOrigin },
  );
  const password = env['NEURONS_REGISTRY_PASSWORD'];
  registerSecret(password);
  const username = env['NEURONS_REGISTRY_USERNAME'];
  const caFile = env['NEURONS_REGISTRY_CA'];
  return {
    host,
    namespace,
    credentials:
      pairedCredentials(
        username,
        password,
        { origin: 'NEURONS_REGISTRY_USERNAME' },
        { origin: 'NEURONS_REGISTRY_PASSWORD' },
      ) ?? fromFile[0]?.credentials,
    ca: caFile ? [await readPem(caFile, process.cwd(), 'NEURONS_REGISTRY_CA', '')] : (fromFile[0]?.ca ?? []),
    plainHttp: false,
    insecure: false,
  };
}

/** The file's `packageIndex`, with its secret and CA read. */
export async function packageIndexFromFile(
  setting: NonNullable<ConfigFile['packageIndex']>,
  env: NodeJS.ProcessEnv,
  { file, base }: ConfigSource,
): Promise<PackageIndexSetting> {
  const username = setting.usernameEnv ? env[setting.usernameEnv] : undefined;
  const password = secretFromEnv(env, setting.passwordEnv, file, '/packageIndex/passwordEnv');
  return {
    url: setting.url,
    extraUrl: setting.extraUrl,
    credentials: pairedCredentials(
      username,
      password,
      { origin: file, pointer: '/packageIndex/usernameEnv' },
      { origin: file, pointer: '/packageIndex/passwordEnv' },
    ),
    caPem: setting.ca ? await readPem(setting.ca, base, file, '/packageIndex/ca') : undefined,
  };
}

/** The index NEURONS_PIP_INDEX_URL names, with its credentials and CA; undefined when it is not set. */
export async function packageIndexFromEnv(env: NodeJS.ProcessEnv): Promise<PackageIndexSetting | undefined> {
  if (!env['NEURONS_PIP_INDEX_URL']) return undefined;
  const password = env['NEURONS_PIP_INDEX_PASSWORD'];
  registerSecret(password);
  const username = env['NEURONS_PIP_INDEX_USERNAME'];
  const caFile = env['NEURONS_PIP_INDEX_CA'];
  return {
    url: env['NEURONS_PIP_INDEX_URL'],
    extraUrl: env['NEURONS_PIP_EXTRA_INDEX_URL'],
    credentials: pairedCredentials(
      username,
      password,
      { origin: 'NEURONS_PIP_INDEX_USERNAME' },
      { origin: 'NEURONS_PIP_INDEX_PASSWORD' },
    ),
    caPem: caFile ? await readPem(caFile, process.cwd(), 'NEURONS_PIP_INDEX_CA', '') : undefined,
  };
}

/** The CAs of `trust.ca` and NEURONS_TRUST_CA. */
export async function readTrustPems(
  trust: ConfigFile['trust'],
  env: NodeJS.ProcessEnv,
  { file, base }: ConfigSource,
): Promise<string[]> {
  const trustPems = await Promise.all(
    (trust?.ca ?? []).map((caFile, index) => readPem(caFile, base, file, `/trust/ca/${index}`)),
  );
  if (env['NEURONS_TRUST_CA'])
    trustPems.push(await readPem(env['NEURONS_TRUST_CA'], process.cwd(), 'NEURONS_TRUST_CA', ''));
  return trustPems;
}

/** One trust setting for every hop: each registry and the package index trust these CAs too. */
export function trustEverywhere(
  registries: ResolvedRegistry[],
  packageIndex: PackageIndexSetting | undefined,
  trustPems: string[],
): void {
  for (const registry of registries) registry.ca = [...registry.ca, ...trustPems];
  if (packageIndex && trustPems.length > 0)
    packageIndex.caPem = [packageIndex.caPem ?? '', ...trustPems].filter(Boolean).join('\n');
}

/** A registry named without credentials uses the Docker client's, as `docker push` would. */
export async function fillDockerCredentials(registries: ResolvedRegistry[], env: NodeJS.ProcessEnv): Promise<void> {
  for (const registry of registries) registry.credentials ??= await readDockerCredentials(registry.host, env);
}
