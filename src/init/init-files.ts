import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkRegistry } from '../config/check-values.js';
import { UsageError } from '../errors/neurons-error.js';
import { explainInvalidReference } from '../images/reference-syntax.js';
import { publicBaseImages } from '../config/public-base-images.js';
import { formatBaseline } from '../definitions/baseline.js';
import type { Problem } from '../errors/problem.js';

export type CiKind = 'github' | 'drone' | 'none';

export interface InitOptions {
  registry: string;
  namespace: string;
  plainHttp: boolean;
  ci: CiKind;
  platforms: string[];
  /** The folder of neurons' own templates (`templates/` of the package). */
  templatesDirectory: string;
  /** The repository's validation errors today: the baseline's known problems (none in a sound repository). */
  problems: Problem[];
  /**
   * The toolkit image (`npm run image` in neurons' own repository) the CI steps run in, instead of Node and `npx`:
   * nothing is fetched from npm at run time, and the image's digest pins everything that runs.
   */
  toolkitImage?: string | undefined;
}

/** The baseline `init` writes and every command of the CI files reads. */
export const baselineFileName = 'neurons-baseline.json';

/** Where each CI's file goes, relative to the repository root. */
export const ciFiles: Record<Exclude<CiKind, 'none'>, { template: string; target: string }> = {
  github: { template: 'github-actions.yml', target: '.github/workflows/neurons.yml' },
  drone: { template: 'drone.yml', target: '.drone.yml' },
};

/**
 * The files `neurons init` writes, by path relative to the output folder, computed before anything is written:
 * `neurons.json` (the registry, its credentials by variable name, the platforms and public base images), the
 * baseline of today's problems (so that a repository with broken definitions adopts neurons without fixing them
 * first, and new problems still fail its CI), and the CI file. The namespace is lower-cased and checked here, as every command checks it.
 */
export async function initFiles(options: InitOptions): Promise<Map<string, string>> {
  const namespace = options.namespace.toLowerCase();
  checkRegistry(options.registry, namespace, { origin: '--registry' }, { origin: '--namespace' });
  const config = {
    registries: [
      {
        host: options.registry,
        namespace,
        usernameEnv: 'NEURONS_REGISTRY_USERNAME',
        passwordEnv: 'NEURONS_REGISTRY_PASSWORD',
        ...(options.plainHttp ? { plainHttp: true } : {}),
      },
    ],
    platforms: options.platforms,
    baseImages: { ...publicBaseImages },
  };
  const files = new Map<string, string>([
    ['neurons.json', `${JSON.stringify(config, null, 2)}\n`],
    [baselineFileName, formatBaseline(options.problems)],
  ]);
  if (options.ci !== 'none') {
    const { template, target } = ciFiles[options.ci];
    const text = await readFile(path.join(options.templatesDirectory, 'ci', template), 'utf8');
    const pinned = options.ci === 'drone' ? withDroneRegistry(text, options.registry, namespace) : text;
    if (options.toolkitImage !== undefined) checkToolkitImage(options.toolkitImage);
    files.set(
      target,
      options.toolkitImage === undefined
        ? pinned
        : options.ci === 'drone'
          ? droneWithToolkitImage(pinned, options.toolkitImage)
          : workflowWithToolkitImage(pinned, options.toolkitImage),
    );
  }
  return files;
}

/** `npx --yes --package=cortex-neurons@X neurons ` in the shipped CI files: what the toolkit image replaces. */
const npxInvocation = /npx --yes --package=cortex-neurons@[^ ]+ neurons /g;

function checkToolkitImage(reference: string): void {
  const reason = explainInvalidReference(reference);
  if (reason)
    throw new UsageError({
      code: 'USAGE',
      file: '--toolkit-image',
      message: `not an image reference: ${reason}`,
      hint: 'give the reference of the toolkit image, e.g. registry.example.org/tools/neurons:0.1.0 (built with `npm run image`)',
    });
}

/** Every Drone step that ran neurons through `npx` on a Node image runs it from the toolkit image. */
function droneWithToolkitImage(text: string, reference: string): string {
  return text.replaceAll('image: node:20-bookworm', `image: ${reference}`).replace(npxInvocation, 'neurons ');
}

/**
 * Every job runs in the toolkit image (GitHub starts job containers with their own entry point), with the runner's
 * Docker engine through its socket for the builds; Node is in the image, so the setup-node steps go.
 */
function workflowWithToolkitImage(text: string, reference: string): string {
  return text
    .replace(/\n {6}- uses: actions\/setup-node@[^\n]*\n {8}with:\n {10}node-version: 20/g, '')
    .replaceAll(
      '    runs-on: ubuntu-latest\n',
      `    runs-on: ubuntu-latest\n    container:\n      image: ${reference}\n      volumes:\n        - /var/run/docker.sock:/var/run/docker.sock\n`,
    )
    .replace(npxInvocation, 'neurons ');
}

/** The Drone file names its registry and namespace in each pipeline's environment: the ones given to `init`. */
function withDroneRegistry(text: string, registry: string, namespace: string): string {
  return text
    .replaceAll('NEURONS_REGISTRY: registry.example.org', `NEURONS_REGISTRY: ${registry}`)
    .replaceAll('NEURONS_NAMESPACE: cortexneurons', `NEURONS_NAMESPACE: ${namespace}`);
}
