import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkRegistry } from '../config/check-values.js';
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
    files.set(target, options.ci === 'drone' ? withDroneRegistry(text, options.registry, namespace) : text);
  }
  return files;
}

/** The Drone file names its registry and namespace in each pipeline's environment: the ones given to `init`. */
function withDroneRegistry(text: string, registry: string, namespace: string): string {
  return text.replaceAll('NEURONS_REGISTRY: registry.example.org', `NEURONS_REGISTRY: ${registry}`).replaceAll('NEURONS_NAMESPACE: cortexneurons', `NEURONS_NAMESPACE: ${namespace}`);
}
