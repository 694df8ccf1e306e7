import type Docker from 'dockerode';
import type { ResolvedRegistry } from '../config/load-config.js';
import type { WorkerFolder } from '../definitions/types.js';
import { followProgress } from '../engine/docker-build.js';
import { NeuronsError } from '../errors/neurons-error.js';
import type { Problem } from '../errors/problem.js';
import { formatPlatform, type Platform } from '../oci/platform.js';
import type { PublishedImage } from '../registry/platform-manifests.js';
import type { SmokeTester } from '../smoke/tester.js';
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
  },
  flavors: AssemblyFlavor[],
): Promise<AssembledOutcome[]> {
  const started = Date.now();
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
  // Each flavor is tested (every platform), then tagged, independently of the others: tests run side by side within
  // the run's budget of containers, and a flavor's tags follow its own tests alone.
  const outcomes = await Promise.all(
    assembled.flatMap((item) => {
      const wanted = flavors.find((candidate) => candidate.flavor.id === item.flavor.id);
      return wanted ? [publishFlavor(run, options, item, wanted)] : [];
    }),
  );
  return outcomes;
}

async function publishFlavor(
  run: AssemblyRun,
  options: {
    worker: WorkerFolder;
    smoke: SmokeTester | undefined;
    progress: (flavorId: string, state: 'testing' | 'pushing') => void;
  },
  item: AssembledFlavor,
  wanted: AssemblyFlavor,
): Promise<AssembledOutcome> {
  const problem = options.smoke ? await smokeEveryPlatform(run, options, item, wanted) : undefined;
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

async function smokeEveryPlatform(
  run: AssemblyRun,
  options: {
    worker: WorkerFolder;
    smoke: SmokeTester | undefined;
    progress: (flavorId: string, state: 'testing' | 'pushing') => void;
  },
  item: AssembledFlavor,
  wanted: AssemblyFlavor,
): Promise<Problem | undefined> {
  const [first] = wanted.pushes;
  const { smoke } = options;
  if (!first || !smoke) return undefined;
  options.progress(item.flavor.id, 'testing');
  const problems = await Promise.all(
    item.platforms.map(({ platform, digest }) =>
      run.tests(async (): Promise<Problem | undefined> => {
        const reference = `${first.target.repository}@${digest}`;
        try {
          // A pull is content-addressed: one cut by a transient registry failure is pulled again, as pushes are.
          await retryEngineTransfer(
            `pull of ${reference}`,
            () => pullByDigest(run.docker, first.target.registry, reference, platform),
            { log: run.log },
          );
        } catch (error) {
          return {
            code: 'SMOKE_PULL_FAILED',
            file: item.flavor.file,
            message: `the ${formatPlatform(platform)} image ${reference} could not be pulled for its test: ${(error as Error).message}`,
            hint: 'check the engine can reach and trusts the registry (`neurons ca trust-engine`)',
          };
        }
        const result = await smoke(reference, options.worker, item.flavor);
        if (result.passed) return undefined;
        const problem = result.problem ?? {
          code: 'SMOKE_FAILED',
          file: item.flavor.file,
          message: 'the smoke test failed',
        };
        return { ...problem, message: `${formatPlatform(platform)}: ${problem.message}` };
      }),
    ),
  );
  return problems.find((problem) => problem !== undefined);
}
