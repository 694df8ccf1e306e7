import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BaseRuntime, Config } from '../config/load-config.js';
import type { Flavor, WorkerFolder } from '../definitions/types.js';
import { NeuronsError } from '../errors/neurons-error.js';
import { packageRoot } from '../util/package-root.js';
import { renderTemplate, templateVersion } from './templates.js';

export interface RenderedBuild {
  /** The Dockerfile of the folder image (no entry point). */
  dockerfile: string;
  /** Where the worker folder sits in the build context: `worker` for templates, the root for a custom Dockerfile. */
  contextPrefix: string;
  /** Generated files added to the context (CA for the package index, the job adapter). */
  extraFiles: Map<string, Buffer>;
  buildArgs: Record<string, string>;
  /** Build arguments that carry credentials: passed to the build, never printed. */
  secretBuildArgs: Record<string, string>;
}

/** What differs between flavor images of one folder: the entry point (exec form, as JSON). */
export function flavorEntrypoint(runtime: WorkerFolder['runtime'], flavor: Flavor, speaksStdio: boolean): string | undefined {
  const command = flavor.definition.command;
  switch (runtime) {
    case 'python':
      return JSON.stringify(['python3', command]);
    case 'node':
      return JSON.stringify(['node', command]);
    case 'go':
      return JSON.stringify(speaksStdio ? ['/usr/local/bin/neurons-job-adapter', `/worker/${command}`] : [`/worker/${command}`]);
    default:
      return undefined; // a worker's own Dockerfile keeps its own ENTRYPOINT
  }
}

function requireBase(config: Config, runtime: BaseRuntime, worker: WorkerFolder): string {
  const image = config.baseImages[runtime];
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

/** Go workers that never mention the job folder speak the old stdin/stdout protocol and get the job adapter. */
export async function goSpeaksStdio(folder: string): Promise<boolean> {
  const files = (await readdir(folder, { recursive: true })).filter((file) => file.endsWith('.go'));
  for (const file of files) {
    const source = await readFile(path.join(folder, file), 'utf8');
    if (source.includes('input/input.json') || source.includes('"/job"')) return false;
  }
  return true;
}

function baseBuildArgs(config: Config): Record<string, string> {
  const args: Record<string, string> = {};
  for (const [runtime, image] of Object.entries(config.baseImages)) if (image) args[`NEURONS_BASE_${runtime.toUpperCase()}`] = image;
  return args;
}

function indexUrlWithCredentials(config: Config): string | undefined {
  const index = config.packageIndex;
  if (!index) return undefined;
  if (!index.credentials) return index.url;
  const url = new URL(index.url);
  url.username = encodeURIComponent(index.credentials.username);
  url.password = encodeURIComponent(index.credentials.password);
  return url.toString();
}

/**
 * Renders the build of one folder image. `requirements` is the requirements file of this build (flavors of one
 * folder naming different files are built once per file).
 */
export async function renderBuild(
  repo: string,
  worker: WorkerFolder,
  requirements: string | undefined,
  config: Config,
  source: string,
): Promise<RenderedBuild> {
  const folder = path.join(repo, worker.path);
  const common = { kind: worker.kind, directory: worker.directory, templateVersion, source };
  const extraFiles = new Map<string, Buffer>();
  const buildArgs = baseBuildArgs(config);
  const secretBuildArgs: Record<string, string> = {};
  switch (worker.runtime) {
    case 'custom':
      return { dockerfile: await readFile(path.join(folder, 'Dockerfile'), 'utf8'), contextPrefix: '', extraFiles, buildArgs, secretBuildArgs };
    case 'python': {
      const index = requirements ? config.packageIndex : undefined;
      if (index?.caPem) extraFiles.set('.neurons/index-ca.crt', Buffer.from(index.caPem));
      const indexUrl = indexUrlWithCredentials(config);
      if (index && indexUrl) secretBuildArgs['PIP_INDEX_URL'] = indexUrl;
      const dockerfile = renderTemplate('python', {
        ...common,
        templateId: `python/${templateVersion}`,
        baseImage: requireBase(config, 'python', worker),
        requirements,
        index: index ? { ca: Boolean(index.caPem) } : undefined,
      });
      return { dockerfile, contextPrefix: 'worker', extraFiles, buildArgs, secretBuildArgs };
    }
    case 'go': {
      const adapter = await goSpeaksStdio(folder);
      if (adapter) {
        const adapterDirectory = path.join(packageRoot(), 'templates', 'go-job-adapter');
        for (const file of ['go.mod', 'main.go']) extraFiles.set(`.neurons/adapter/${file}`, await readFile(path.join(adapterDirectory, file)));
      }
      // Each flavor's command names the binary to build, relative to the folder (`<Dir>/<binary>`).
      const binaries = [...new Set(worker.flavors.map((flavor) => flavor.definition.command.slice(worker.directory.length + 1)))];
      const dockerfile = renderTemplate('go', { ...common, templateId: `go/${templateVersion}`, baseImage: requireBase(config, 'go', worker), binaries, adapter });
      return { dockerfile, contextPrefix: 'worker', extraFiles, buildArgs, secretBuildArgs };
    }
    case 'node': {
      const manifestFile = path.join(folder, 'package.json');
      const manifest = existsSync(manifestFile) ? (JSON.parse(await readFile(manifestFile, 'utf8')) as { dependencies?: object }) : {};
      const installDependencies = Object.keys(manifest.dependencies ?? {}).length > 0;
      const dockerfile = renderTemplate('node', { ...common, templateId: `node/${templateVersion}`, baseImage: requireBase(config, 'node', worker), installDependencies });
      return { dockerfile, contextPrefix: 'worker', extraFiles, buildArgs, secretBuildArgs };
    }
    default:
      throw new NeuronsError({ code: 'RENDER_NO_RUNTIME', file: worker.path, message: 'the runtime of this folder is unknown', hint: 'add a Dockerfile to the worker folder' });
  }
}
