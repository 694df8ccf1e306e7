import { spawnSync } from 'node:child_process';
import type { ManifestInfo, RegistryClient } from '../registry/client.js';
import { runnableManifests } from '../registry/manifest.js';
import { reconfigure, tagManifest } from '../registry/mutate.js';
import { EnvironmentError } from '../errors/neurons-error.js';
import { runAsync } from './processes.js';

export type BaseArchitecture = 'amd64' | 'arm64';

/** What building one platform of a base image needs from its recipe. */
export interface RootfsRecipe {
  name: string;
  packages: string[];
  env: string[];
  labels?: Record<string, string>;
  suite?: string;
}

export const recipeLabel = 'io.neurons.base-recipe';

export interface PlatformImageRequest {
  recipe: RootfsRecipe;
  fingerprint: string;
  architecture: BaseArchitecture;
  registryHost: string;
  repository: string;
  /** The tag the platform's image goes under. */
  tag: string;
  /** A tag that may hold this platform's image from an older layout, taken over when it matches. */
  formerTag: string | undefined;
  client: RegistryClient;
  mirror: string | undefined;
  log: (line: string) => void;
}

export type PlatformImage = ManifestInfo & { architecture: BaseArchitecture };

interface Published {
  manifest: ManifestInfo;
  architecture: string | undefined;
  labels: Record<string, string>;
}

/** The image for `architecture` under `reference` (itself, or its entry in an index), with its configuration. */
async function readPublished(
  client: RegistryClient,
  repository: string,
  reference: string,
  architecture: BaseArchitecture,
): Promise<Published | undefined> {
  const found = await client.readManifest(repository, reference);
  let digest = found?.digest;
  if (found?.manifest.kind === 'index')
    digest = runnableManifests(found.manifest.manifests).find(
      (entry) => entry.platform?.os === 'linux' && entry.platform.architecture === architecture,
    )?.digest;
  if (!digest) return undefined;
  const [manifest, image] = await Promise.all([
    client.headManifest(repository, digest),
    client.getImageConfig(repository, digest),
  ]);
  if (!manifest || !image) return undefined;
  return { manifest, architecture: image.config.architecture, labels: image.config.config?.Labels ?? {} };
}

/**
 * Makes the registry hold, under `tag`, the recipe's image for one platform, doing as little as it can:
 * - present under `tag` (or `formerTag`) with the recipe's fingerprint: kept; missing labels or a wrong architecture are
 *   fixed in the registry (a new configuration, the same layers), and an image found under `formerTag` is tagged;
 * - else in the local engine under the same reference with the fingerprint: pushed;
 * - else built with mmdebstrap (`--architectures`, foreign ones through QEMU) piped into `docker import`, and pushed.
 */
export async function ensurePlatformImage(request: PlatformImageRequest): Promise<PlatformImage> {
  const { recipe, fingerprint, architecture, registryHost, repository, tag, client, log } = request;
  const reference = `${registryHost}/${repository}:${tag}`;
  const fromRegistry = async (justPushed: boolean): Promise<PlatformImage | undefined> => {
    for (const candidate of [tag, ...(request.formerTag ? [request.formerTag] : [])]) {
      const published = await readPublished(client, repository, candidate, architecture);
      if (published?.labels[recipeLabel] !== fingerprint) continue;
      const { digest } = published.manifest;
      const fixes = [
        ...(Object.entries(recipe.labels ?? {}).some(([name, value]) => published.labels[name] !== value)
          ? ['labels']
          : []),
        ...(published.architecture === architecture
          ? []
          : [`architecture ${published.architecture ?? '?'} -> ${architecture}`]),
      ];
      if (fixes.length > 0) {
        const manifest = await reconfigure(client, repository, digest, tag, {
          ...(recipe.labels ? { labels: recipe.labels } : {}),
          architecture,
        });
        log(`base image ${reference}: configuration updated (${fixes.join(', ')})`);
        return { ...manifest, architecture };
      }
      if (candidate !== tag) {
        const manifest = await tagManifest(client, repository, digest, tag);
        log(`base image ${reference}: taken over from ${request.formerTag ?? ''}`);
        return { ...manifest, architecture };
      }
      if (!justPushed) log(`base image ${reference}: present`);
      return { ...published.manifest, architecture };
    }
    return undefined;
  };
  const present = await fromRegistry(false);
  if (present) return present;
  const local = spawnSync(
    'docker',
    ['image', 'inspect', '--format', `{{index .Config.Labels "${recipeLabel}"}}`, reference],
    { encoding: 'utf8' },
  );
  if (local.status !== 0 || local.stdout.trim() !== fingerprint) await buildPlatformImage(request, reference);
  await runAsync('docker', ['push', reference], { what: `pushing ${reference}` });
  log(`base image ${reference}: pushed`);
  const pushed = await fromRegistry(true);
  if (!pushed) {
    throw new EnvironmentError({
      code: 'ENV_BASE_IMAGE_MISSING',
      message: `base image ${reference} is not in the registry after its push, or not with fingerprint ${fingerprint}`,
      hint: 'check the registry logs in the environment folder, then run `neurons env up` again',
    });
  }
  return pushed;
}

async function buildPlatformImage(request: PlatformImageRequest, reference: string): Promise<void> {
  const { recipe, fingerprint, architecture, mirror, log } = request;
  const started = Date.now();
  const labels = Object.entries(recipe.labels ?? {}).map(([name, value]) => `LABEL ${name}=${value}`);
  const changes = [
    ...recipe.env.map((value) => `ENV ${value}`),
    `LABEL ${recipeLabel}=${fingerprint}`,
    ...labels,
  ].flatMap((change) => ['--change', change]);
  const mmdebstrap = [
    'mmdebstrap',
    '--quiet',
    '--variant=minbase',
    `--architectures=${architecture}`,
    `--include=${recipe.packages.join(',')}`,
    recipe.suite ?? 'bookworm',
    '-',
    ...(mirror ? [mirror] : []),
  ];
  // Docker 20.10 records its own architecture whatever `--platform` says; `ensurePlatformImage` corrects it after the push.
  // Imported under a name of its own, tagged only once whole: `docker import` of a failed mmdebstrap's empty stream
  // still makes an image, which under the recipe's tag and fingerprint the next run would take as built.
  const building = `${reference}-building-${process.pid}`;
  const importing = ['docker', 'import', '--platform', `linux/${architecture}`, ...changes, '-', building];
  const shellQuote = (value: string): string => `'${value.replaceAll("'", "'\\''")}'`;
  const pipeline = `set -o pipefail; ${mmdebstrap.map(shellQuote).join(' ')} | ${importing.map(shellQuote).join(' ')}`;
  try {
    await runAsync('bash', ['-c', pipeline], { what: `building base image ${reference}` });
    const size = Number(
      spawnSync('docker', ['image', 'inspect', '--format', '{{.Size}}', building], { encoding: 'utf8' }).stdout.trim(),
    );
    if (!(size > 0))
      throw new EnvironmentError({
        code: 'ENV_COMMAND_FAILED',
        message: `building base image ${reference} gave an empty image`,
        hint: 'run mmdebstrap by hand to see why, then `neurons env up` again',
      });
    await runAsync('docker', ['tag', building, reference], { what: `tagging ${reference}` });
  } finally {
    spawnSync('docker', ['image', 'rm', building], { stdio: 'ignore' });
  }
  log(`base image ${reference}: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
