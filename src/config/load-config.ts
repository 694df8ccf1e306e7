import { Ajv } from 'ajv';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors/neurons-error.js';
import type { Problem } from '../errors/problem.js';
import { environmentDirectory, readEnvironmentState, stateFile } from '../state/environment-state.js';
import { readDockerCredentials } from '../registry/docker-credentials.js';
import { registerSecret } from '../util/mask.js';
import { defaultPlatforms, parsePlatform, uniquePlatforms, type Platform } from '../oci/platform.js';
import { readFileWithin, sizeLimits, TooLargeError } from '../util/size-limits.js';
import {
  checkBaseImage,
  checkCertificatesPem,
  checkConfigFileValues,
  checkNamespaceOverride,
  checkPrivateKeyPem,
  checkRegistry,
  pairedCredentials,
} from './check-values.js';
import { publicBaseImages } from './public-base-images.js';
import { configSchema, type ConfigFile, type WorkerSettings } from './schema.js';
import type { ResolvedRegistry } from '../registry/endpoint.js';
import type { Channel } from '../images/tags.js';

export type { ResolvedRegistry } from '../registry/endpoint.js';
export type { Channel } from '../images/tags.js';

export const configFileName = 'neurons.json';

export type BaseRuntime = 'python' | 'go' | 'node';

export interface PackageIndexSetting {
  url: string;
  extraUrl: string | undefined;
  credentials: { username: string; password: string } | undefined;
  /** PEM text of the CA that signed the index's certificate, copied into the build stage only. */
  caPem: string | undefined;
}

export interface Config {
  /** The first registry is the primary: catalogs point at it. */
  registries: ResolvedRegistry[];
  baseImages: Record<BaseRuntime, string | undefined>;
  packageIndex: PackageIndexSetting | undefined;
  npmRegistry: string | undefined;
  /** The Go module proxy of builds of unvendored Go modules (its URL may hold credentials); none: GOPROXY=off. */
  goProxy: string | undefined;
  /** Template id -> absolute path of a Handlebars file that overrides or adds a template. */
  templates: Record<string, string>;
  workers: Record<string, WorkerSettings>;
  /**
   * Private or TLS-inspection CAs (PEM text): trusted by every registry, index and publish connection, installed in
   * the images' build stages, and with `runtime` in the final images too.
   */
  trust: { caPems: string[]; runtime: boolean };
  /** Platforms of every image (a worker's `platforms` setting narrows or widens its own). */
  platforms: Platform[];
  /** Images of the generated templates are assembled in the registry; false builds every image in the engine. */
  assemble: boolean;
  channel: Channel;
  /** Tag `latest` too on the stable channel. */
  latest: boolean;
  output: string;
  /** Where the values came from: a configuration file, or the local environment's state file. */
  sources: string[];
  /** One line for the user when the configuration named no registry and the local environment stands in for it. */
  notice: string | undefined;
}

/** Overrides given on the command line; they win over environment variables, which win over the file. */
export interface ConfigOverrides {
  configFile?: string;
  registry?: string;
  namespace?: string;
  channel?: string;
  output?: string;
  /** `--platform`, given once or more (each may list several, comma-separated). */
  platforms?: string[];
}

const ajv = new Ajv({ allErrors: true, strict: true });
const validateConfig = ajv.compile<ConfigFile>(configSchema);

async function readConfigFile(file: string): Promise<ConfigFile> {
  let parsed: unknown;
  try {
    parsed = JSON.parse((await readFileWithin(file, sizeLimits.settingsFile)).toString('utf8'));
  } catch (error) {
    throw new UsageError({
      code: 'CONFIG_INVALID',
      file,
      message: `cannot read configuration: ${(error as Error).message}`,
      hint: 'the file must be valid JSON',
    });
  }
  if (!validateConfig(parsed)) {
    const problems: Problem[] = (validateConfig.errors ?? []).map((error) => ({
      code: 'CONFIG_INVALID',
      file,
      pointer: error.instancePath || '/',
      message: `${error.instancePath || 'configuration'} ${error.message ?? 'is invalid'}${error.params && 'additionalProperty' in error.params ? `: ${String(error.params['additionalProperty'])}` : ''}`,
    }));
    const first = problems[0] as Problem;
    throw new UsageError({
      ...first,
      message: problems.map((problem) => `${problem.pointer}: ${problem.message}`).join('; '),
      hint: 'see the README section "Configuration"',
    });
  }
  checkConfigFileValues(parsed, file);
  return parsed;
}

function secretFromEnv(
  env: NodeJS.ProcessEnv,
  name: string | undefined,
  file: string,
  pointer: string,
): string | undefined {
  if (!name) return undefined;
  const value = env[name];
  if (value === undefined) {
    throw new UsageError({
      code: 'CONFIG_SECRET_MISSING',
      file,
      pointer,
      message: `environment variable ${name} is not set`,
      hint: `export ${name}=... before running neurons`,
    });
  }
  registerSecret(value);
  return value;
}

/** Reads a PEM file and checks that it holds what it is for: certificates (the default), or a private key. */
async function readPem(
  file: string,
  base: string,
  origin: string,
  pointer: string,
  holds: 'certificates' | 'key' = 'certificates',
): Promise<string> {
  const resolved = path.resolve(base, file);
  let text: string;
  try {
    text = (await readFileWithin(resolved, sizeLimits.settingsFile)).toString('utf8');
  } catch (error) {
    if (error instanceof TooLargeError)
      throw new UsageError({
        code: 'CONFIG_CA_INVALID',
        file: origin,
        pointer,
        message: `CA file ${resolved}: ${error.message}`,
        hint: 'give a PEM file of CA certificates',
      });
    throw new UsageError({
      code: 'CONFIG_CA_MISSING',
      file: origin,
      pointer,
      message: `CA file ${resolved} cannot be read: ${(error as Error).message}`,
      hint: 'give the path of a PEM certificate, relative to the configuration file',
    });
  }
  // Garbage here used to be dropped silently, leaving a registry untrusted for no visible reason.
  if (holds === 'key') checkPrivateKeyPem(text, resolved, { origin, pointer });
  else checkCertificatesPem(text, resolved, { origin, pointer });
  return text;
}

/**
 * The CAs a configuration trusts for `host` (`trust.ca`, the `ca` of the registries of that host, and
 * NEURONS_TRUST_CA), read without resolving anything else: no secret needs to be set to ask what is trusted.
 */
export async function configuredCas(
  repo: string,
  env: NodeJS.ProcessEnv,
  options: { configFile?: string; host?: string },
): Promise<{ pems: string[] }> {
  const file = options.configFile ? path.resolve(options.configFile) : path.join(repo, configFileName);
  if (options.configFile && !existsSync(file))
    throw new UsageError({
      code: 'CONFIG_NOT_FOUND',
      file,
      message: 'configuration file not found',
      hint: 'check the --config path',
    });
  const fromFile = existsSync(file) ? await readConfigFile(file) : {};
  const base = path.dirname(file);
  const wanted: Array<{ caFile: string; base: string; origin: string; pointer: string }> = (
    fromFile.trust?.ca ?? []
  ).map((caFile, index) => ({ caFile, base, origin: file, pointer: `/trust/ca/${index}` }));
  for (const [index, registry] of (fromFile.registries ?? []).entries()) {
    if (options.host !== undefined && registry.host !== options.host) continue;
    wanted.push(
      ...(registry.ca ?? []).map((caFile, caIndex) => ({
        caFile,
        base,
        origin: file,
        pointer: `/registries/${index}/ca/${caIndex}`,
      })),
    );
  }
  // The package index's CA, for its host (its own or its extra index's): what builds trust to install dependencies.
  const index = fromFile.packageIndex;
  if (
    index?.ca &&
    (options.host === undefined ||
      [index.url, index.extraUrl].some((url) => url !== undefined && urlHost(url) === options.host))
  ) {
    wanted.push({ caFile: index.ca, base, origin: file, pointer: '/packageIndex/ca' });
  }
  if (env['NEURONS_TRUST_CA'])
    wanted.push({ caFile: env['NEURONS_TRUST_CA'], base: process.cwd(), origin: 'NEURONS_TRUST_CA', pointer: '' });
  return { pems: await Promise.all(wanted.map((item) => readPem(item.caFile, item.base, item.origin, item.pointer))) };
}

/** `host` or `host:port` of a URL, as `ca inspect` names its target (the port only when it is not the scheme's). */
function urlHost(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/** The password of a URL as written (percent-encoded) and decoded: either may be printed. */
function passwordIn(url: string): string[] {
  try {
    const password = new URL(url).password;
    return password ? [password, decodeURIComponent(password)] : [];
  } catch {
    return [];
  }
}

function parseChannel(value: string | undefined): Channel | undefined {
  if (value === undefined) return undefined;
  if (value === 'stable' || value === 'devel') return value;
  throw new UsageError({ code: 'CONFIG_CHANNEL', message: `unknown channel '${value}'`, hint: 'use stable or devel' });
}

/** `--platform` wins over NEURONS_PLATFORMS, which wins over the file (already checked), then the default. */
function resolvePlatforms(
  flags: string[] | undefined,
  variable: string | undefined,
  fromFile: string[] | undefined,
): Platform[] {
  const split = (values: string[]): string[] =>
    values
      .flatMap((value) => value.split(','))
      .map((value) => value.trim())
      .filter(Boolean);
  if (flags && flags.length > 0) return uniquePlatforms(split(flags).map((text) => parsePlatform(text, '--platform')));
  if (variable) return uniquePlatforms(split([variable]).map((text) => parsePlatform(text, 'NEURONS_PLATFORMS')));
  if (fromFile) return uniquePlatforms(fromFile.map((text) => parsePlatform(text)));
  return defaultPlatforms;
}

/**
 * What the local environment recorded by `neurons env up` supplies when nothing names a registry: its registry, base
 * images and package index (all trusting its CA). Undefined when no environment is recorded.
 */
async function localEnvironment(
  env: NodeJS.ProcessEnv,
  namespaceOverride: string | undefined,
): Promise<
  | {
      registry: ResolvedRegistry;
      baseImages: Record<BaseRuntime, string>;
      packageIndex: PackageIndexSetting;
      stateFile: string;
    }
  | undefined
> {
  const state = await readEnvironmentState(environmentDirectory(env));
  if (!state) return undefined;
  const caPem = await readFile(state.caFile, 'utf8');
  return {
    registry: {
      host: state.registry.host,
      namespace: namespaceOverride ?? state.registry.namespace,
      credentials: { username: state.registry.username, password: state.registry.password },
      ca: [caPem],
      plainHttp: false,
      insecure: false,
    },
    baseImages: state.baseImages,
    packageIndex: {
      url: state.packageIndex.url,
      extraUrl: undefined,
      credentials: { username: state.packageIndex.username, password: state.packageIndex.password },
      caPem,
    },
    stateFile: stateFile(state.directory),
  };
}

/**
 * Resolves the configuration: the file (`neurons.json` at the repository root, or `--config`), then environment
 * variables, then flags. With no registry anywhere, the local environment recorded by `neurons env up` is the default
 * (registry, base images, package index); with a registry named, base images default to public ones and there is no
 * package index unless one is configured.
 */
export async function loadConfig(
  repo: string,
  env: NodeJS.ProcessEnv,
  overrides: ConfigOverrides,
  options: { requireRegistry?: boolean } = {},
): Promise<Config> {
  // Lower-cased wherever it comes from: a CI's owner name (`TheHive-Project`) is not a valid repository path as is.
  const namespaceOverride = (overrides.namespace ?? env['NEURONS_NAMESPACE'])?.toLowerCase();
  checkNamespaceOverride(namespaceOverride, overrides.namespace !== undefined ? '--namespace' : 'NEURONS_NAMESPACE');
  const file = overrides.configFile ? path.resolve(overrides.configFile) : path.join(repo, configFileName);
  if (overrides.configFile && !existsSync(file)) {
    throw new UsageError({
      code: 'CONFIG_NOT_FOUND',
      file,
      message: 'configuration file not found',
      hint: 'check the --config path',
    });
  }
  const fromFile = existsSync(file) ? await readConfigFile(file) : {};
  const sources = existsSync(file) ? [file] : [];
  const base = path.dirname(file);

  const registries: ResolvedRegistry[] = [];
  for (const [index, registry] of (fromFile.registries ?? []).entries()) {
    const pointer = `/registries/${index}`;
    const username = registry.username ?? (registry.usernameEnv ? env[registry.usernameEnv] : undefined);
    const password = secretFromEnv(env, registry.passwordEnv, file, `${pointer}/passwordEnv`);
    const ca = await Promise.all(
      (registry.ca ?? []).map((caFile, caIndex) => readPem(caFile, base, file, `${pointer}/ca/${caIndex}`)),
    );
    const clientCertificate = registry.clientCertificate
      ? {
          cert: await readPem(registry.clientCertificate, base, file, `${pointer}/clientCertificate`),
          key: await readPem(
            registry.clientKey ?? registry.clientCertificate,
            base,
            file,
            `${pointer}/clientKey`,
            'key',
          ),
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
    const namespace = namespaceOverride ?? registry.namespace;
    if (namespaceOverride !== undefined)
      checkRegistry(
        registry.host,
        namespace,
        { origin: file, pointer: `${pointer}/host` },
        { origin: overrides.namespace !== undefined ? '--namespace' : 'NEURONS_NAMESPACE' },
      );
    registries.push({
      host: registry.host,
      namespace,
      credentials,
      ca,
      plainHttp: registry.plainHttp ?? false,
      insecure: registry.insecure ?? false,
      ...(clientCertificate ? { clientCertificate } : {}),
    });
  }
  const registryOverride = overrides.registry ?? env['NEURONS_REGISTRY'];
  if (registryOverride) {
    const namespace = namespaceOverride ?? registries[0]?.namespace ?? 'neurons';
    const namespaceOrigin =
      overrides.namespace !== undefined
        ? '--namespace'
        : env['NEURONS_NAMESPACE'] !== undefined
          ? 'NEURONS_NAMESPACE'
          : file;
    checkRegistry(
      registryOverride,
      namespace,
      { origin: overrides.registry !== undefined ? '--registry' : 'NEURONS_REGISTRY' },
      { origin: namespaceOrigin },
    );
    const password = env['NEURONS_REGISTRY_PASSWORD'];
    registerSecret(password);
    const username = env['NEURONS_REGISTRY_USERNAME'];
    const caFile = env['NEURONS_REGISTRY_CA'];
    registries.splice(0, registries.length, {
      host: registryOverride,
      namespace,
      credentials:
        pairedCredentials(
          username,
          password,
          { origin: 'NEURONS_REGISTRY_USERNAME' },
          { origin: 'NEURONS_REGISTRY_PASSWORD' },
        ) ?? registries[0]?.credentials,
      ca: caFile ? [await readPem(caFile, process.cwd(), 'NEURONS_REGISTRY_CA', '')] : (registries[0]?.ca ?? []),
      plainHttp: false,
      insecure: false,
    });
  }

  let packageIndex: PackageIndexSetting | undefined;
  if (fromFile.packageIndex) {
    const setting = fromFile.packageIndex;
    const username = setting.usernameEnv ? env[setting.usernameEnv] : undefined;
    const password = secretFromEnv(env, setting.passwordEnv, file, '/packageIndex/passwordEnv');
    packageIndex = {
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
  const baseImages: Record<BaseRuntime, string | undefined> = {
    python: env['NEURONS_BASE_PYTHON'] ?? fromFile.baseImages?.python,
    go: env['NEURONS_BASE_GO'] ?? fromFile.baseImages?.go,
    node: env['NEURONS_BASE_NODE'] ?? fromFile.baseImages?.node,
  };
  for (const variable of ['NEURONS_BASE_PYTHON', 'NEURONS_BASE_GO', 'NEURONS_BASE_NODE']) {
    const value = env[variable];
    if (value !== undefined) checkBaseImage(value, { origin: variable });
  }

  // The embedded default, only when nothing names a registry. A named registry takes nothing from the environment: a
  // machine where `neurons env up` once ran must not render `FROM 127.0.0.1:5443/...` for a production registry.
  const local = registries.length === 0 ? await localEnvironment(env, namespaceOverride) : undefined;
  if (local) {
    registries.push(local.registry);
    sources.push(`${local.stateFile} (registry)`);
  }
  const defaultBaseImages = local?.baseImages ?? publicBaseImages;
  baseImages.python ??= defaultBaseImages.python;
  baseImages.go ??= defaultBaseImages.go;
  baseImages.node ??= defaultBaseImages.node;
  // NEURONS_PIP_INDEX_URL, below, replaces whichever index this is.
  packageIndex ??= local?.packageIndex;
  if (env['NEURONS_PIP_INDEX_URL']) {
    const password = env['NEURONS_PIP_INDEX_PASSWORD'];
    registerSecret(password);
    const username = env['NEURONS_PIP_INDEX_USERNAME'];
    const caFile = env['NEURONS_PIP_INDEX_CA'];
    packageIndex = {
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
  // Empty is unset, as for a shell's `NEURONS_GOPROXY= neurons build`.
  const goProxyVariable = env['NEURONS_GOPROXY'] || undefined;
  const goProxy = goProxyVariable ?? fromFile.goProxy;
  if (goProxyVariable !== undefined && !/^https?:\/\/[^\s,|]+$/.test(goProxyVariable)) {
    throw new UsageError({
      code: 'CONFIG_INVALID',
      file: 'NEURONS_GOPROXY',
      message: 'NEURONS_GOPROXY is not an http(s) URL',
      hint: 'give the URL of one Go module proxy, e.g. https://user:password@goproxy.example.org/',
    });
  }
  // A password written into an index or proxy URL is a secret like the others: masked in everything printed.
  for (const url of [packageIndex?.url, packageIndex?.extraUrl, goProxy])
    for (const secret of url ? passwordIn(url) : []) registerSecret(secret);
  const trustPems = await Promise.all(
    (fromFile.trust?.ca ?? []).map((caFile, index) => readPem(caFile, base, file, `/trust/ca/${index}`)),
  );
  if (env['NEURONS_TRUST_CA'])
    trustPems.push(await readPem(env['NEURONS_TRUST_CA'], process.cwd(), 'NEURONS_TRUST_CA', ''));
  // One trust setting for every hop: each registry and the package index trust these CAs too.
  for (const registry of registries) registry.ca = [...registry.ca, ...trustPems];
  if (packageIndex && trustPems.length > 0)
    packageIndex.caPem = [packageIndex.caPem ?? '', ...trustPems].filter(Boolean).join('\n');
  // A registry named without credentials uses the Docker client's, as `docker push` would.
  for (const registry of registries) registry.credentials ??= await readDockerCredentials(registry.host, env);
  // `requireRegistry: false` (local mode, `--local`): images stay in the engine, so no registry is needed.
  if (registries.length === 0 && options.requireRegistry !== false) {
    throw new UsageError({
      code: 'CONFIG_NO_REGISTRY',
      file,
      pointer: '/registries',
      message: 'no registry configured, and no local environment recorded',
      hint: `add "registries" to ${configFileName}, set NEURONS_REGISTRY, or run \`neurons env up\``,
    });
  }
  return {
    registries,
    baseImages,
    packageIndex,
    npmRegistry: env['NEURONS_NPM_REGISTRY'] ?? fromFile.npmRegistry,
    goProxy,
    templates: Object.fromEntries(
      Object.entries(fromFile.templates ?? {}).map(([id, file]) => [id, path.resolve(base, file)]),
    ),
    workers: fromFile.workers ?? {},
    trust: { caPems: trustPems, runtime: fromFile.trust?.runtime ?? false },
    platforms: resolvePlatforms(overrides.platforms, env['NEURONS_PLATFORMS'], fromFile.platforms),
    assemble: fromFile.assemble ?? true,
    channel: parseChannel(overrides.channel ?? env['NEURONS_CHANNEL']) ?? fromFile.channel ?? 'stable',
    latest: fromFile.latest ?? false,
    output: path.resolve(
      overrides.output ?? env['NEURONS_OUTPUT'] ?? (fromFile.output ? path.resolve(base, fromFile.output) : 'catalogs'),
    ),
    sources,
    notice: local
      ? `no registry configured: using the local environment (${local.registry.host}, from ${homeRelative(local.stateFile, env)})`
      : undefined,
  };
}

/** `~/...` for a path under the home folder, as a user would write it. */
function homeRelative(file: string, env: NodeJS.ProcessEnv): string {
  const home = env['HOME'];
  return home && file.startsWith(`${home}/`) ? `~/${file.slice(home.length + 1)}` : file;
}
