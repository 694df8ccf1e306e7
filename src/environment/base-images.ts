import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { digestOf, imageIndex, indexBytes, pushIndex } from '../registry/artifact.js';
import type { RegistryClient } from '../registry/client.js';
import { ensurePlatformImage, recipeLabel, type BaseArchitecture, type PlatformImage } from './base-image-platform.js';
import { runAsync } from './processes.js';

export type { BaseArchitecture } from './base-image-platform.js';

export interface BaseImageRecipe {
  /** What the image is the base of: workers of a runtime, or the toolkit's own image (`image/Dockerfile`). */
  runtime: 'python' | 'go' | 'node' | 'toolkit';
  /** Repository and tag under the registry, e.g. `base/python:3.11-bookworm`. */
  name: string;
  /** Debian packages installed into a minbase system. */
  packages: string[];
  env: string[];
  /**
   * Labels that other code reads from the base. Not part of the fingerprint: a published image without them gets
   * them through the registry (a new configuration, the same layers), not by a rebuild.
   */
  labels?: Record<string, string>;
  /** The Debian suite; bookworm when not given. */
  suite?: string;
  /**
   * The platforms built. With more than one, each is pushed under `<tag>-<architecture>` and the recipe's tag names an
   * OCI image index of them; with one, the tag names the image itself.
   */
  platforms: BaseArchitecture[];
}

const path = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const workerPlatforms: BaseArchitecture[] = ['amd64', 'arm64'];

/** Offline base images: Debian built with mmdebstrap, since no public image registry is reachable. */
export const baseImageRecipes: BaseImageRecipe[] = [
  {
    runtime: 'python',
    name: 'base/python:3.11-bookworm',
    packages: ['python3', 'python3-pip', 'python3-venv', 'ca-certificates'],
    env: [path, 'LANG=C.UTF-8'],
    labels: { 'io.neurons.python-version': '3.11' },
    platforms: workerPlatforms,
  },
  {
    runtime: 'go',
    name: 'base/golang:1.19-bookworm',
    packages: ['golang-go', 'ca-certificates'],
    env: [path, 'LANG=C.UTF-8', 'GOPATH=/go', 'GOFLAGS=-mod=mod', 'GOTOOLCHAIN=local'],
    platforms: workerPlatforms,
  },
  // npm is there for workers with a lockfile (`npm ci` in the build stage), as in the usual Node images.
  {
    runtime: 'node',
    name: 'base/node:18-bookworm',
    packages: ['nodejs', 'npm', 'ca-certificates'],
    env: [path, 'LANG=C.UTF-8'],
    platforms: workerPlatforms,
  },
  // The toolkit runs on Node >= 20.18 (trixie has 20.19) and calls git for change detection. amd64 only: the toolkit's
  // image is built and run on this machine's platform, and an arm64 trixie under QEMU would add minutes to a cold
  // `env up` for an image nothing runs.
  {
    runtime: 'toolkit',
    name: 'base/node:20-trixie',
    suite: 'trixie',
    packages: ['nodejs', 'git', 'ca-certificates'],
    env: [path, 'LANG=C.UTF-8'],
    platforms: ['amd64'],
  },
];

/** A recipe's fingerprint, recorded as a label: an image built from an older recipe is rebuilt. */
export function recipeFingerprint(recipe: BaseImageRecipe): string {
  // The suite counts only when given, so that the fingerprints of the bookworm images stay what they were; the
  // platform does not count (the configuration's architecture says it), so the amd64 images of the single-platform
  // layout are kept as they are.
  return createHash('sha256')
    .update(JSON.stringify([recipe.packages, recipe.env, ...(recipe.suite ? [recipe.suite] : [])]))
    .digest('hex')
    .slice(0, 16);
}

/** What `ensureBaseImage` did: the reference of the recipe's tag and the platforms it names. */
export interface BaseImage {
  reference: string;
  platforms: BaseArchitecture[];
}

/**
 * Each base image is built once per platform and reused while present (see `ensurePlatformImage`); the platforms
 * are built side by side. A multi-platform recipe's tag then names an index of them, written only when it changed.
 */
export async function ensureBaseImage(
  recipe: BaseImageRecipe,
  registryHost: string,
  client: RegistryClient,
  mirror: string | undefined,
  log: (line: string) => void,
): Promise<BaseImage> {
  const reference = `${registryHost}/${recipe.name}`;
  const [repository = '', tag = ''] = recipe.name.split(':');
  const fingerprint = recipeFingerprint(recipe);
  const common = { recipe, fingerprint, registryHost, repository, client, mirror, log };
  if (recipe.platforms.length === 1) {
    await ensurePlatformImage({ ...common, architecture: recipe.platforms[0] ?? 'amd64', tag, formerTag: undefined });
    return { reference, platforms: recipe.platforms };
  }
  // The single-platform layout had the amd64 image under the recipe's tag: it is taken over, not rebuilt.
  const images: PlatformImage[] = await Promise.all(
    recipe.platforms.map((architecture) =>
      ensurePlatformImage({
        ...common,
        architecture,
        tag: `${tag}-${architecture}`,
        formerTag: architecture === 'amd64' ? tag : undefined,
      }),
    ),
  );
  const index = imageIndex(
    images.map(({ digest, mediaType, size, architecture }) => ({
      digest,
      mediaType,
      size,
      platform: { os: 'linux', architecture },
    })),
  );
  const current = await client.headManifest(repository, tag);
  if (current?.digest === digestOf(indexBytes(index))) {
    log(`base image ${reference}: index of ${recipe.platforms.join(', ')} present`);
  } else {
    await pushIndex(client, repository, tag, index);
    log(`base image ${reference}: index of ${recipe.platforms.join(', ')} pushed`);
  }
  return { reference, platforms: recipe.platforms };
}

/** The engine's platform, as image configurations name it. */
const enginePlatform = process.arch === 'x64' ? 'amd64' : process.arch;

/**
 * The engine holds the recipe's tag for its own platform, as it did when the tag was the `docker import` itself: a
 * build whose `FROM` names the tag then needs no pull, and so no credentials (the tests build through the engine API
 * without any). Pulled from the index when the engine lacks it, or has an older configuration under it. (A
 * single-platform recipe's tag is the `docker import` itself.)
 */
export async function ensureLocalBaseImage(
  recipe: BaseImageRecipe,
  registryHost: string,
  log: (line: string) => void,
): Promise<void> {
  if (recipe.platforms.length === 1 || !recipe.platforms.some((architecture) => architecture === enginePlatform))
    return;
  const reference = `${registryHost}/${recipe.name}`;
  const fingerprint = recipeFingerprint(recipe);
  const local = spawnSync(
    'docker',
    ['image', 'inspect', '--format', '{{.Architecture}} {{json .Config.Labels}}', reference],
    { encoding: 'utf8' },
  );
  const [architecture = '', ...labelsJson] = local.status === 0 ? local.stdout.trim().split(' ') : [];
  const labels =
    labelsJson.length > 0 ? ((JSON.parse(labelsJson.join(' ')) as Record<string, string> | null) ?? {}) : {};
  const wanted = { ...recipe.labels, [recipeLabel]: fingerprint };
  if (architecture === enginePlatform && Object.entries(wanted).every(([name, value]) => labels[name] === value))
    return;
  const pull = (): Promise<string> =>
    runAsync('docker', ['pull', '--platform', `linux/${enginePlatform}`, reference], { what: `pulling ${reference}` });
  await pull().catch(async (error: unknown) => {
    // Docker 20.10 binds a digest to one image: after a `docker run --platform linux/arm64` of the tag, the index's
    // digest names the arm64 image, and a pull for this platform refuses to move it. The binding goes, the pull again.
    const bound = /Cannot overwrite digest (sha256:[0-9a-f]{64})/.exec(
      error instanceof Error ? error.message : '',
    )?.[1];
    if (!bound) throw error;
    await runAsync('docker', ['image', 'rm', `${reference.replace(/:[^:/]+$/, '')}@${bound}`], {
      what: `untagging ${bound}`,
    });
    await pull();
  });
  log(`base image ${reference}: pulled into the engine (linux/${enginePlatform})`);
}
