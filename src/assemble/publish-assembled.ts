import type Docker from 'dockerode';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ResolvedRegistry } from '../config/load-config.js';
import type { WorkerFolder } from '../definitions/types.js';
import type { FlavorDecision } from '../plan/decide.js';
import { followProgress } from '../engine/docker-build.js';
import { NeuronsError } from '../errors/neurons-error.js';
import type { Problem } from '../errors/problem.js';
import { formatPlatform, hostPlatform, type Platform } from '../oci/platform.js';
import type { PublishedImage } from '../registry/platform-manifests.js';
import { pullFailure } from '../smoke/folder-images.js';
import type { FolderImage, SmokeTester } from '../smoke/tester.js';
import { maskSecrets } from '../util/mask.js';
import { retryEngineTransfer } from '../transport/engine-failure.js';
import {
  assembleUnit,
  tagAssembled,
  type AssembledFlavor,
  type AssemblyFlavor,
  type AssemblyRun,
} from './assemble-unit.js';
import type { SourceInfo } from '../render/source-info.js';
import { createdTime } from './flavor-config.js';
import type { UnitDependencies } from './resolve-dependencies.js';

export interface AssembledOutcome {
  flavorId: string;
  /** Each tag with the index digest and the image manifest of every platform in it. */
  images: PublishedImage[];
  problem?: Problem;
  /** The index digest every tag names. */
  digest?: string;
}

/**
 * A failure of the registry while storing or tagging an assembled image is a failed push, as for an image the engine
 * pushes (`PUSH_FAILED`, with the registry's words); any other failure (a dependency install) keeps its own code.
 */
function pushProblem(error: NeuronsError, file: string, folder: string): Problem {
  const { code, message, hint } = error.problem;
  if (!/^(REGISTRY_|MANIFEST_|BLOB_|TLS_)/.test(code)) return { ...error.problem, file: error.problem.file ?? folder };
  return { code: 'PUSH_FAILED', file, message: `push failed (${code}): ${message}`, ...(hint ? { hint } : {}) };
}

/** Pulls one platform's image by digest into the engine, with the registry's credentials, for its smoke test. */
async function pullByDigest(
  docker: Docker,
  registry: ResolvedRegistry,
  reference: string,
  platform: Platform,
): Promise<void> {
  const authconfig = registry.credentials
    ? { username: registry.credentials.username, password: registry.credentials.password, serveraddress: registry.host }
    : undefined;
  const stream = (await docker.pull(reference, {
    platform: formatPlatform(platform),
    ...(authconfig ? { authconfig } : {}),
  })) as NodeJS.ReadableStream;
  const events = await followProgress<{ error?: string }>(docker, stream);
  const failure = events.find((event) => event.error);
  if (failure) throw new Error(maskSecrets(failure.error ?? 'pull failed'));
}

/**
 * Publishes the flavors of one folder assembled in the registry: blobs and manifests by digest, then the smoke test of
 * every platform (pulled by digest into the engine; a foreign one runs under QEMU), then the tags. A flavor whose
 * image fails a test is never tagged.
 */
export async function publishAssembledUnit(
  run: AssemblyRun,
  options: {
    repo: string;
    worker: WorkerFolder;
    dependencies: UnitDependencies;
    platforms: Platform[];
    source: SourceInfo;
    templateId: string;
    env: NodeJS.ProcessEnv;
    smoke: SmokeTester | undefined;
    progress: (flavorId: string, state: 'testing' | 'pushing') => void;
    /** An image the folder published before (see FlavorDecision.previous): pulled ahead for the smoke test. */
    previous?: { registry: ResolvedRegistry; reference: string } | undefined;
  },
  flavors: AssemblyFlavor[],
): Promise<AssembledOutcome[]> {
  const started = Date.now();
  const warming = warmEngine(run, options);
  try {
    return await assembleAndPublish(run, options, flavors, started);
  } finally {
    // Ended before the folder is: a pull the engine would otherwise cancel when the run exits.
    await warming;
  }
}

async function assembleAndPublish(
  run: AssemblyRun,
  options: Parameters<typeof publishAssembledUnit>[1],
  flavors: AssemblyFlavor[],
  started: number,
): Promise<AssembledOutcome[]> {
  let assembled: AssembledFlavor[];
  try {
    assembled = await assembleUnit(run, { ...options, created: createdTime(options.env, options.source) }, flavors);
  } catch (error) {
    if (!(error instanceof NeuronsError)) throw error;
    return flavors.map(({ flavor }) => ({
      flavorId: flavor.id,
      images: [],
      problem: pushProblem(error, flavor.file, options.worker.path),
    }));
  }
  const origins = {
    cache: 'from the registry cache',
    host: 'installed on the host',
    container: 'installed in a container',
    run: 'made earlier in this run',
  };
  const from = [
    ...new Set(
      assembled.flatMap((item) =>
        item.dependencies.map((dependency) => `${formatPlatform(dependency.platform)} ${origins[dependency.origin]}`),
      ),
    ),
  ];
  run.log(
    `assembled ${options.worker.path} for ${options.platforms.map(formatPlatform).join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s${from.length > 0 ? ` (dependency layers: ${from.join(', ')})` : ''}`,
  );
  // The flavors are tested together, a container per platform where they share a filesystem; then each flavor whose
  // tests passed on every platform is tagged, independently of the others.
  const wanted = assembled.flatMap((item) => {
    const found = flavors.find((candidate) => candidate.flavor.id === item.flavor.id);
    return found ? [{ item, wanted: found }] : [];
  });
  const problems = options.smoke
    ? await smokeEveryPlatform(run, { ...options, smoke: options.smoke }, wanted)
    : new Map();
  return Promise.all(
    wanted.map(({ item, wanted: flavor }) => publishFlavor(run, options, item, flavor, problems.get(item.flavor.id))),
  );
}

async function publishFlavor(
  run: AssemblyRun,
  options: { worker: WorkerFolder; progress: (flavorId: string, state: 'testing' | 'pushing') => void },
  item: AssembledFlavor,
  wanted: AssemblyFlavor,
  problem: Problem | undefined,
): Promise<AssembledOutcome> {
  if (problem) return { flavorId: item.flavor.id, images: [], problem };
  options.progress(item.flavor.id, 'pushing');
  try {
    const platforms = item.platforms.map(({ platform, digest }) => ({ platform: formatPlatform(platform), digest }));
    const images = (await tagAssembled(run, item, wanted.pushes)).map((image) => ({ ...image, platforms }));
    return { flavorId: item.flavor.id, images, digest: item.index.descriptor.digest };
  } catch (error) {
    if (!(error instanceof NeuronsError)) throw error;
    return { flavorId: item.flavor.id, images: [], problem: pushProblem(error, item.flavor.file, options.worker.path) };
  }
}

/**
 * Pulls, without waiting, the engine's own platform of the image the folder published before, when its images are to
 * be tested there: an empty engine (an ephemeral runner) gets the layers it shares with the new ones (the base, the
 * dependencies: the bulk of an image) while the new ones are assembled, and the test's pull finds them. A failure
 * changes nothing: the test's own pull fetches what is missing. Started once per image in a run: detection starts it
 * as soon as it decides the folder is to be built, the folder's publication finds it started.
 */
export function warmEngine(
  run: AssemblyRun,
  options: {
    smoke: SmokeTester | undefined;
    platforms: Platform[];
    previous?: { registry: ResolvedRegistry; reference: string } | undefined;
  },
): Promise<void> {
  const native = hostPlatform();
  const { previous } = options;
  if (!options.smoke || !previous) return Promise.resolve();
  if (!options.platforms.some((platform) => formatPlatform(platform) === formatPlatform(native)))
    return Promise.resolve();
  const started = run.warming?.get(previous.reference);
  if (started) return started;
  // After the requests being sent are out: the engine's client may load first (dockerode, about 90 ms).
  const pulled = nextTurn()
    .then(() => pullByDigest(run.docker, previous.registry, previous.reference, native))
    .catch(() => undefined);
  (run.warming ??= new Map()).set(previous.reference, pulled);
  return pulled;
}

/**
 * The smoke test of every flavor on every platform: per platform, each flavor's image pulled by digest, then the
 * flavors tested together (one container where they share a filesystem). The first problem of each flavor, by
 * platform order.
 */
async function smokeEveryPlatform(
  run: AssemblyRun,
  options: {
    worker: WorkerFolder;
    smoke: SmokeTester;
    progress: (flavorId: string, state: 'testing' | 'pushing') => void;
  },
  flavors: { item: AssembledFlavor; wanted: AssemblyFlavor }[],
): Promise<Map<string, Problem | undefined>> {
  const tested = flavors.flatMap(({ item, wanted }) => {
    const [first] = wanted.pushes;
    return first ? [{ item, repository: first.target.repository, registry: first.target.registry }] : [];
  });
  for (const { item } of tested) options.progress(item.flavor.id, 'testing');
  const platforms = [
    ...new Set(tested.flatMap(({ item }) => item.platforms.map(({ platform }) => formatPlatform(platform)))),
  ];
  const byPlatform = await Promise.all(
    platforms.map((name) =>
      run.tests(() =>
        smokePlatform(
          run,
          options,
          tested.flatMap(({ item, repository, registry }) => {
            const found = item.platforms.find(({ platform }) => formatPlatform(platform) === name);
            return found
              ? [{ item, registry, platform: found.platform, reference: `${repository}@${found.digest}`, own: found }]
              : [];
          }),
        ),
      ),
    ),
  );
  const problems = new Map<string, Problem | undefined>();
  for (const { item } of tested)
    problems.set(item.flavor.id, byPlatform.map((found) => found.get(item.flavor.id)).find(Boolean));
  return problems;
}

/**
 * The platform of these images when the engine runs it under emulation while each of their flavors also has an
 * image for the engine's own platform, tested in the same run.
 */
function emulation(
  images: { item: AssembledFlavor; platform: Platform }[],
): { platform: string; native: string } | undefined {
  const native = formatPlatform(hostPlatform());
  const platform = images[0] ? formatPlatform(images[0].platform) : native;
  const nativeToo = images.every(({ item }) =>
    item.platforms.some((image) => formatPlatform(image.platform) === native),
  );
  return platform !== native && nativeToo ? { platform, native } : undefined;
}

/** One platform's image of a flavor, to test. */
interface PlatformImage {
  item: AssembledFlavor;
  registry: ResolvedRegistry;
  platform: Platform;
  reference: string;
  /** The platform's entry of the assembled flavor. */
  own: AssembledFlavor['platforms'][number];
}

/** Pulls one platform's image by digest for its test; a pull cut by a transient registry failure is pulled again. */
async function pullForTest(run: AssemblyRun, image: PlatformImage): Promise<void> {
  // A pull is content-addressed: one cut by a transient registry failure is pulled again, as pushes are.
  await retryEngineTransfer(
    `pull of ${image.reference}`,
    () => pullByDigest(run.docker, image.registry, image.reference, image.platform),
    { log: run.log },
  );
}

/** An image to test, and how it gets into the engine: pulled before the test, or deferred (see pullPlan). */
type PlannedPull = { image: PlatformImage; deferred?: FolderImage['deferred'] };

/**
 * The images to pull before a test of the folder, and those it tests without pulling: a flavor's image whose
 * filesystem an earlier one of the list shares (the flavors of a folder: only their entry points and labels differ)
 * runs its job in that one's container, and is pulled only if it must be tested in a container of its own.
 */
function pullPlan(run: AssemblyRun, images: PlatformImage[]): PlannedPull[] {
  const first = new Map<string, PlatformImage>();
  return images.map((image) => {
    const { own } = image;
    const like = first.get(own.filesystem);
    if (!like) {
      first.set(own.filesystem, image);
      return { image };
    }
    let pulled: Promise<void> | undefined;
    const pull = () => (pulled ??= pullForTest(run, image));
    return { image, deferred: { like: like.reference, entrypoint: own.entrypoint, pull } };
  });
}

/** One platform's flavors: pulled by digest (one image per filesystem when tested together), then tested. */
async function smokePlatform(
  run: AssemblyRun,
  options: { worker: WorkerFolder; smoke: SmokeTester },
  images: PlatformImage[],
): Promise<Map<string, Problem | undefined>> {
  const problems = new Map<string, Problem | undefined>();
  const { smoke } = options;
  const plan: PlannedPull[] = smoke.folder ? pullPlan(run, images) : images.map((image) => ({ image }));
  const pulled = await Promise.all(
    plan.map(async (planned) => {
      const { image } = planned;
      if (planned.deferred) return planned;
      try {
        await pullForTest(run, image);
        return planned;
      } catch (error) {
        const subject = `the ${formatPlatform(image.platform)} image ${image.reference}`;
        problems.set(image.item.flavor.id, pullFailure(image.item.flavor, subject, error));
        return undefined;
      }
    }),
  );
  // A deferred image whose like failed to pull is pulled for itself when its test needs it (its test alone).
  const ready = pulled.filter((planned) => planned !== undefined);
  run.testsStarted?.();
  const verdicts = smoke.folder
    ? await smoke.folder(
        ready.map(({ image, deferred }) => ({
          image: image.reference,
          flavor: image.item.flavor,
          ...(deferred ? { deferred } : {}),
        })),
        options.worker,
        emulation(images),
      )
    : await Promise.all(ready.map(({ image }) => smoke(image.reference, options.worker, image.item.flavor)));
  for (const [index, { image }] of ready.entries()) {
    const verdict = verdicts[index];
    if (verdict?.passed) continue;
    const problem = verdict?.problem ?? {
      code: 'SMOKE_FAILED',
      file: image.item.flavor.file,
      message: 'the smoke test failed',
    };
    problems.set(image.item.flavor.id, {
      ...problem,
      message: `${formatPlatform(image.platform)}: ${problem.message}`,
    });
  }
  return problems;
}

/** The image one of a folder's flavors had published before, by digest (see FlavorDecision.previous). */
export function previousImage(
  decisions: (FlavorDecision | undefined)[],
): { registry: ResolvedRegistry; reference: string } | undefined {
  const previous = decisions.find((decision) => decision?.previous)?.previous;
  return (
    previous && { registry: previous.target.registry, reference: `${previous.target.repository}@${previous.digest}` }
  );
}
