import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BaseRuntime, Config } from '../config/load-config.js';
import type { WorkerSettings } from '../config/schema.js';
import type { Flavor, WorkerFolder } from '../definitions/types.js';
import { NeuronsError } from '../errors/neurons-error.js';
import { packageRoot } from '../util/package-root.js';
import { carrySecrets, withoutCredentials, type BuildSecret } from './build-secrets.js';
import { moduleProxy, readGoModule } from './go-module.js';
import { decideGoProtocol, type GoProtocolDecision } from './go-protocol.js';
import type { BaseImages } from './pin-base-images.js';
import { assertSafePath } from './safe-values.js';
import type { SourceInfo } from './source-info.js';
import type { TemplateSet } from './templates.js';

export interface RenderSettings {
  config: Config;
  /** Base images as they go into FROM: pinned by digest unless offline. */
  baseImages: BaseImages;
  templates: TemplateSet;
}

export interface RenderedBuild {
  /** `python/2`, `go/custom`, or `custom` for a worker's own Dockerfile. */
  templateId: string;
  /** The Dockerfile of the folder image (no entry point). */
  dockerfile: string;
  /** Where the worker folder sits in the build context: `worker` for templates, the root for a custom Dockerfile. */
  contextPrefix: string;
  /** Generated files added to the context (CA for the package index, the job adapter). */
  extraFiles: Map<string, Buffer>;
  buildArgs: Record<string, string>;
  /**
   * Build arguments that carry credentials (see build-secrets.ts): passed to the build, never printed, never part of
   * the build inputs, never in the history or the cache of the build stage.
   */
  secretBuildArgs: Record<string, string>;
  /** A Go worker speaking stdin/stdout: its flavors' entry points go through the job adapter. */
  speaksStdio: boolean;
  /** A Go worker's protocol and the evidence for it (undefined for other runtimes). */
  goProtocol: GoProtocolDecision | undefined;
}

export function workerSettings(config: Config, worker: WorkerFolder): WorkerSettings {
  return config.workers[worker.path] ?? config.workers[worker.directory] ?? {};
}

/** What differs between flavor images of one folder: the entry point (exec form, as JSON: inert whatever it holds). */
export function flavorEntrypoint(
  runtime: WorkerFolder['runtime'],
  flavor: Flavor,
  speaksStdio: boolean,
): string | undefined {
  const command = assertSafePath(flavor.definition.command, 'command', flavor.file);
  switch (runtime) {
    case 'python':
      return JSON.stringify(['python3', command]);
    case 'node':
      return JSON.stringify(['node', command]);
    case 'go':
      return JSON.stringify(
        speaksStdio ? ['/usr/local/bin/neurons-job-adapter', `/worker/${command}`] : [`/worker/${command}`],
      );
    default:
      return undefined; // a worker's own Dockerfile keeps its own ENTRYPOINT
  }
}

/**
 * The default arguments of a flavor's entry point: Go workers get the job folder, as Cortex's process runner passes
 * it, so a worker that reads it from os.Args[1] (and the job adapter) finds it when the engine passes none.
 */
export function flavorArguments(runtime: WorkerFolder['runtime']): string | undefined {
  return runtime === 'go' ? JSON.stringify(['/job']) : undefined;
}

/** Renders the thin image of one flavor: its folder image, its labels, its entry point. */
export function renderFlavor(
  templates: TemplateSet,
  options: {
    folderImage: string;
    worker: WorkerFolder;
    flavor: Flavor;
    source: SourceInfo;
    templateId: string;
    stdio: boolean;
  },
): string {
  const { definition } = options.flavor;
  return templates.render('flavor', {
    folderImage: options.folderImage,
    name: definition.name,
    description: definition.description,
    version: definition.version,
    url: definition.url,
    author: definition.author,
    license: definition.license,
    id: options.flavor.id,
    kind: options.worker.kind,
    templateId: options.templateId,
    source: options.source,
    entrypoint: flavorEntrypoint(options.worker.runtime, options.flavor, options.stdio),
    arguments: flavorArguments(options.worker.runtime),
  });
}

function requireBase(settings: RenderSettings, runtime: BaseRuntime, worker: WorkerFolder): string {
  const image = settings.baseImages[runtime];
  if (!image) {
    throw new NeuronsError({
      code: 'RENDER_NO_BASE_IMAGE',
      file: worker.path,
      message: `no base image configured for ${runtime}`,
      hint: `set baseImages.${runtime} in neurons.json or NEURONS_BASE_${runtime.toUpperCase()}, or run \`neurons env up\``,
    });
  }
  return image;
}

/** An index or registry URL with its credentials in the userinfo: for the one step that installs dependencies. */
export function withCredentials(url: string, credentials: { username: string; password: string } | undefined): string {
  if (!credentials) return url;
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(credentials.username);
  parsed.password = encodeURIComponent(credentials.password);
  return parsed.toString();
}

/** PEM text holding any number of certificates, as one certificate per string (duplicates dropped). */
function splitCertificates(pems: string[]): string[] {
  const blocks = pems.flatMap(
    (pem) => pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [],
  );
  return [...new Set(blocks.map((block) => `${block}\n`))];
}

/** JSON-form COPY arguments: inert whatever the paths hold. */
function copyArguments(from: string, to: string, stage?: string): string {
  return `${stage ? `--from=${stage} ` : ''}${JSON.stringify([from, to])}`;
}

/**
 * Renders the build of one folder image. `requirements` is the requirements file of this build (flavors of one
 * folder naming different files are built once per file).
 */
export async function renderBuild(
  repo: string,
  worker: WorkerFolder,
  requirements: string | undefined,
  settings: RenderSettings,
): Promise<RenderedBuild> {
  const { config, templates } = settings;
  const folder = path.join(repo, worker.path);
  const directory = assertSafePath(worker.directory, 'directory', worker.path);
  const extraFiles = new Map<string, Buffer>();
  const buildArgs: Record<string, string> = {};
  for (const [runtime, image] of Object.entries(settings.baseImages))
    if (image) buildArgs[`NEURONS_BASE_${runtime.toUpperCase()}`] = image;
  if (worker.runtime === 'custom') {
    return {
      templateId: 'custom',
      dockerfile: await readFile(path.join(folder, 'Dockerfile'), 'utf8'),
      contextPrefix: '',
      extraFiles,
      buildArgs,
      secretBuildArgs: {},
      speaksStdio: false,
      goProtocol: undefined,
    };
  }
  if (worker.runtime === undefined) {
    throw new NeuronsError({
      code: 'RENDER_NO_RUNTIME',
      file: worker.path,
      message: 'the runtime of this folder is unknown',
      hint: 'add a Dockerfile to the worker folder',
    });
  }
  const template = workerSettings(config, worker).template ?? worker.runtime;
  const templateId = templates.templateId(template);
  const baseImage = requireBase(settings, worker.runtime, worker);
  // Every CA a build must trust (the package index's and the configured ones), one file each for update-ca-certificates.
  const buildCas = splitCertificates([
    ...(requirements && config.packageIndex?.caPem ? [config.packageIndex.caPem] : []),
    ...config.trust.caPems,
  ]);
  for (const [index, pem] of buildCas.entries())
    extraFiles.set(`.neurons/trust/neurons-${index}.crt`, Buffer.from(pem));
  const trust = { build: buildCas.length > 0, runtime: config.trust.runtime && buildCas.length > 0 };
  const common = {
    kind: worker.kind,
    directory,
    templateId,
    baseImage,
    trust,
    copyWorker: copyArguments('worker/', `/worker/${directory}/`),
  };
  // The credentials of the one step that installs dependencies.
  const secrets: BuildSecret[] = [];
  const context: RuntimeContext = { folder, directory, worker, config, requirements, common, secrets, extraFiles };
  const { data, goProtocol } =
    worker.runtime === 'python'
      ? { data: pythonData(context), goProtocol: undefined }
      : worker.runtime === 'go'
        ? await goData(context)
        : { data: await nodeData(context), goProtocol: undefined };
  const carried = carrySecrets(secrets);
  const dockerfile = templates.render(template, { ...data, secretEnvironment: carried.environment });
  return {
    templateId,
    dockerfile,
    contextPrefix: 'worker',
    extraFiles,
    buildArgs,
    secretBuildArgs: carried.buildArgs,
    speaksStdio: goProtocol?.protocol === 'stdio',
    goProtocol,
  };
}

/** What the template of a runtime is rendered from, and where its step's secrets and extra files go. */
interface RuntimeContext {
  folder: string;
  directory: string;
  worker: WorkerFolder;
  config: RenderSettings['config'];
  requirements: string | undefined;
  common: object;
  /** The credentials of the one step that installs dependencies. */
  secrets: BuildSecret[];
  extraFiles: Map<string, Buffer>;
}

function pythonData({ worker, config, requirements, common, secrets }: RuntimeContext): object {
  const index = requirements ? config.packageIndex : undefined;
  if (index) secrets.push({ variable: 'PIP_INDEX_URL', value: withCredentials(index.url, index.credentials) });
  if (index?.extraUrl)
    secrets.push({ variable: 'PIP_EXTRA_INDEX_URL', value: withCredentials(index.extraUrl, index.credentials) });
  const file = requirements ? assertSafePath(requirements, 'requirements', worker.path) : undefined;
  return {
    ...common,
    requirements: file,
    copyRequirements: file ? copyArguments(`worker/${file}`, '/build/requirements.txt') : undefined,
    // What the install step reads from, without credentials: recorded, and part of the step's cache key.
    index: index
      ? { urls: [index.url, ...(index.extraUrl ? [index.extraUrl] : [])].map(withoutCredentials).join(' ') }
      : undefined,
  };
}

async function goData(context: RuntimeContext): Promise<{ data: object; goProtocol: GoProtocolDecision }> {
  const { folder, directory, worker, config, common, secrets, extraFiles } = context;
  const module = await readGoModule(folder, worker.path);
  const goProtocol = await decideGoProtocol(folder, module.path, workerSettings(config, worker));
  const adapter = goProtocol.protocol === 'stdio';
  if (adapter) {
    const adapterDirectory = path.join(packageRoot(), 'templates', 'go-job-adapter');
    for (const file of ['go.mod', 'main.go'])
      extraFiles.set(`.neurons/adapter/${file}`, await readFile(path.join(adapterDirectory, file)));
  }
  const proxy = moduleProxy(module, config.goProxy, worker.path);
  if (proxy) secrets.push({ variable: 'GOPROXY', value: proxy });
  // Each flavor's command names the binary to build, relative to the folder (`<Dir>/<binary>`).
  const binaries = [
    ...new Set(
      worker.flavors.map(
        (flavor) =>
          `/out/${assertSafePath(flavor.definition.command, 'command', flavor.file).slice(directory.length + 1)}`,
      ),
    ),
  ];
  const data = {
    ...common,
    binaries,
    adapter,
    vendored: module.vendored,
    goProxy: proxy ? withoutCredentials(proxy) : undefined,
    copyBinaries: copyArguments('/out/', `/worker/${directory}/`, 'builder'),
  };
  return { data, goProtocol };
}

async function nodeData({ folder, directory, config, common, secrets }: RuntimeContext): Promise<object> {
  const manifestFile = path.join(folder, 'package.json');
  const manifest = existsSync(manifestFile)
    ? (JSON.parse(await readFile(manifestFile, 'utf8')) as { dependencies?: object })
    : {};
  const lockfile =
    existsSync(path.join(folder, 'package-lock.json')) || existsSync(path.join(folder, 'npm-shrinkwrap.json'));
  const hasDependencies = Object.keys(manifest.dependencies ?? {}).length > 0;
  const install = lockfile
    ? 'npm ci --omit=dev --no-audit --no-fund'
    : hasDependencies
      ? 'npm install --omit=dev --no-audit --no-fund'
      : undefined;
  const registry = install ? config.npmRegistry : undefined;
  if (registry) secrets.push({ variable: 'NPM_CONFIG_REGISTRY', value: registry });
  return {
    ...common,
    install,
    npmRegistry: registry ? withoutCredentials(registry) : undefined,
    copyBuilt: copyArguments('/build/', `/worker/${directory}/`, 'builder'),
  };
}
