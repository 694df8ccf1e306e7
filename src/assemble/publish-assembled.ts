import type Docker from 'dockerode';
import type { ResolvedRegistry } from '../config/load-config.js';
import type { WorkerFolder } from '../definitions/types.js';
import { followProgress } from '../build/docker-build.js';
import { NeuronsError } from '../errors/neurons-error.js';
import type { Problem } from '../errors/problem.js';
import { formatPlatform, type Platform } from '../oci/platform.js';
import type { SmokeTester } from '../pipeline.js';
import { maskSecrets } from '../util/mask.js';
import { assembleUnit, tagAssembled, type AssembledFlavor, type AssemblyFlavor, type AssemblyRun } from './assemble-unit.js';
import type { SourceInfo } from '../render/source-info.js';
import { createdTime } from './flavor-config.js';
import type { UnitDependencies } from './resolve-dependencies.js';

export interface AssembledOutcome {
  flavorId: string;
  images: Array<{ reference: string; digest: string }>;
  problem?: Problem;
  /** The index digest every tag names. */
  digest?: string;
}

/** Pulls one platform's image by digest into the engine, with the registry's credentials, for its smoke test. */
async function pullByDigest(docker: Docker, registry: ResolvedRegistry, reference: string, platform: Platform): Promise<void> {
  const authconfig = registry.credentials ? { username: registry.credentials.username, password: registry.credentials.password, serveraddress: registry.host } : undefined;
  const stream = (await docker.pull(reference, { platform: formatPlatform(platform), ...(authconfig ? { authconfig } : {}) })) as NodeJS.ReadableStream;
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
  options: { repo: string; worker: WorkerFolder; dependencies: UnitDependencies; platforms: Platform[]; source: SourceInfo; templateId: string; env: NodeJS.ProcessEnv; smoke: SmokeTester | undefined; progress: (flavorId: string, state: 'testing' | 'pushing') => void },
  flavors: AssemblyFlavor[],
): Promise<AssembledOutcome[]> {
  const started = Date.now();
  const assembled = await assembleUnit(run, { ...options, created: createdTime(options.env, options.source) }, flavors);
  const from = [...new Set(assembled.flatMap((item) => item.dependencies.map((dependency) => `${formatPlatform(dependency.platform)}: ${dependency.origin}`)))];
  run.log(`assembled ${options.worker.path} for ${options.platforms.map(formatPlatform).join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s${from.length > 0 ? ` (dependency layers: ${from.join(', ')})` : ''}`);
  const outcomes: AssembledOutcome[] = [];
  for (const item of assembled) {
    const wanted = flavors.find((candidate) => candidate.flavor.id === item.flavor.id);
    if (!wanted) continue;
    const problem = options.smoke ? await smokeEveryPlatform(run.docker, options, item, wanted) : undefined;
    if (problem) {
      outcomes.push({ flavorId: item.flavor.id, images: [], problem });
      continue;
    }
    options.progress(item.flavor.id, 'pushing');
    try {
      outcomes.push({ flavorId: item.flavor.id, images: await tagAssembled(run, item, wanted.pushes), digest: item.index.descriptor.digest });
    } catch (error) {
      if (!(error instanceof NeuronsError)) throw error;
      outcomes.push({ flavorId: item.flavor.id, images: [], problem: { file: item.flavor.file, ...error.problem } });
    }
  }
  return outcomes;
}

async function smokeEveryPlatform(
  docker: Docker,
  options: { worker: WorkerFolder; smoke: SmokeTester | undefined; progress: (flavorId: string, state: 'testing' | 'pushing') => void },
  item: AssembledFlavor,
  wanted: AssemblyFlavor,
): Promise<Problem | undefined> {
  const [first] = wanted.pushes;
  if (!first || !options.smoke) return undefined;
  options.progress(item.flavor.id, 'testing');
  for (const { platform, digest } of item.platforms) {
    const reference = `${first.target.repository}@${digest}`;
    try {
      await pullByDigest(docker, first.target.registry, reference, platform);
    } catch (error) {
      return { code: 'SMOKE_PULL_FAILED', file: item.flavor.file, message: `the ${formatPlatform(platform)} image ${reference} could not be pulled for its test: ${(error as Error).message}`, hint: 'check the engine can reach and trusts the registry (`neurons ca trust-engine`)' };
    }
    const result = await options.smoke(reference, options.worker, item.flavor);
    if (!result.passed) {
      const problem = result.problem ?? { code: 'SMOKE_FAILED', file: item.flavor.file, message: 'the smoke test failed' };
      return { ...problem, message: `${formatPlatform(platform)}: ${problem.message}` };
    }
  }
  return undefined;
}
