import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { RegistryClient } from '../registry/client.js';
import { runAsync } from './processes.js';

export interface BaseImageRecipe {
  /** What the image is the base of: workers of a runtime, or the toolkit's own image (`image/Dockerfile`). */
  runtime: 'python' | 'go' | 'node' | 'toolkit';
  /** Repository and tag under the registry, e.g. `base/python:3.11-bookworm`. */
  name: string;
  /** Debian packages installed into a minbase system. */
  packages: string[];
  env: string[];
  /** The Debian suite; bookworm when not given. */
  suite?: string;
}

const path = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Offline base images: Debian built with mmdebstrap, since no public image registry is reachable. */
export const baseImageRecipes: BaseImageRecipe[] = [
  { runtime: 'python', name: 'base/python:3.11-bookworm', packages: ['python3', 'python3-pip', 'python3-venv', 'ca-certificates'], env: [path, 'LANG=C.UTF-8'] },
  { runtime: 'go', name: 'base/golang:1.19-bookworm', packages: ['golang-go', 'ca-certificates'], env: [path, 'LANG=C.UTF-8', 'GOPATH=/go', 'GOFLAGS=-mod=mod', 'GOTOOLCHAIN=local'] },
  // npm is there for workers with a lockfile (`npm ci` in the build stage), as in the usual Node images.
  { runtime: 'node', name: 'base/node:18-bookworm', packages: ['nodejs', 'npm', 'ca-certificates'], env: [path, 'LANG=C.UTF-8'] },
  // The toolkit runs on Node >= 20.18 (trixie has 20.19) and calls git for change detection.
  { runtime: 'toolkit', name: 'base/node:20-trixie', suite: 'trixie', packages: ['nodejs', 'git', 'ca-certificates'], env: [path, 'LANG=C.UTF-8'] },
];

const recipeLabel = 'io.neurons.base-recipe';

/** A recipe's fingerprint, recorded as a label: an image built from an older recipe is rebuilt. */
export function recipeFingerprint(recipe: BaseImageRecipe): string {
  // The suite counts only when given, so that the fingerprints of the bookworm images stay what they were.
  return createHash('sha256').update(JSON.stringify([recipe.packages, recipe.env, ...(recipe.suite ? [recipe.suite] : [])])).digest('hex').slice(0, 16);
}

/**
 * Each base image is built once and reused while present: in the registry (nothing to do), in the local engine
 * (pushed again), else built with mmdebstrap piped into `docker import`.
 */
export async function ensureBaseImage(
  recipe: BaseImageRecipe,
  registryHost: string,
  client: RegistryClient,
  mirror: string | undefined,
  log: (line: string) => void,
): Promise<string> {
  const reference = `${registryHost}/${recipe.name}`;
  const [repository = '', tag = ''] = recipe.name.split(':');
  const fingerprint = recipeFingerprint(recipe);
  const published = await client.getImageConfig(repository, tag);
  if (published?.config.config?.Labels?.[recipeLabel] === fingerprint) {
    log(`base image ${reference}: present`);
    return reference;
  }
  const local = spawnSync('docker', ['image', 'inspect', '--format', `{{index .Config.Labels "${recipeLabel}"}}`, reference], { encoding: 'utf8' });
  if (local.status !== 0 || local.stdout.trim() !== fingerprint) {
    const started = Date.now();
    const changes = [...recipe.env.map((value) => `ENV ${value}`), `LABEL ${recipeLabel}=${fingerprint}`].flatMap((change) => ['--change', change]);
    const mmdebstrap = ['mmdebstrap', '--quiet', '--variant=minbase', `--include=${recipe.packages.join(',')}`, recipe.suite ?? 'bookworm', '-', ...(mirror ? [mirror] : [])];
    const shellQuote = (value: string): string => `'${value.replaceAll("'", "'\\''")}'`;
    const pipeline = `set -o pipefail; ${mmdebstrap.map(shellQuote).join(' ')} | docker import ${changes.map(shellQuote).join(' ')} - ${shellQuote(reference)}`;
    await runAsync('bash', ['-c', pipeline], { what: `building base image ${reference}` });
    log(`base image ${reference}: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  await runAsync('docker', ['push', reference], { what: `pushing ${reference}` });
  log(`base image ${reference}: pushed`);
  return reference;
}
