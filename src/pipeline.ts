import type Docker from 'dockerode';
import { buildUnit } from './build/build-unit.js';
import { prepareBuildSettings } from './build/build-settings.js';
import { assembleCatalogs } from './catalog/assemble-catalogs.js';
import type { Config } from './config/load-config.js';
import { discoverRepository } from './definitions/discover.js';
import type { Discovery } from './definitions/types.js';
import { NeuronsError } from './errors/neurons-error.js';
import type { Problem } from './errors/problem.js';
import { buildPlan, type BuildPlan } from './plan/build-plan.js';
import { writeCatalogs } from './publish/write-catalogs.js';
import { pushImage } from './push/push-image.js';
import { RegistryClient } from './registry/client.js';

export interface FlavorOutcome {
  id: string;
  file: string;
  status: 'pushed' | 'failed';
  /** Every reference pushed, with its manifest digest. */
  images: Array<{ reference: string; digest: string }>;
  problem?: Problem;
}

export interface PipelineReport {
  discovery: Discovery;
  plan: BuildPlan;
  outcomes: FlavorOutcome[];
  /** Folder images built (one per folder and requirements file), then flavor images on top. */
  folderBuilds: number;
  catalogFiles: string[];
  missing: Problem[];
  /** A failure that stopped the catalog stage (registry unreachable, credentials refused): nothing was written. */
  fatal?: NeuronsError;
}

export interface PipelineOptions {
  repo: string;
  config: Config;
  docker: Docker;
  only: string[];
  dryRun: boolean;
  /** Keep base image tags instead of pinning them by digest (no registry lookup for bases). */
  offline: boolean;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

function asProblem(error: unknown, file: string): Problem {
  if (error instanceof NeuronsError) return { file, ...error.problem };
  throw error;
}

/** discover -> plan -> build -> push -> catalog -> publish. With `dryRun`, stops after the plan. */
export async function runPipeline(options: PipelineOptions): Promise<PipelineReport> {
  const { repo, config, docker, log } = options;
  const discovery = await discoverRepository(repo, { definitionsOnly: false });
  const plan = buildPlan(repo, discovery, config, options.only);
  const report: PipelineReport = { discovery, plan, outcomes: [], folderBuilds: 0, catalogFiles: [], missing: [] };
  if (options.dryRun) return report;

  const settings = await prepareBuildSettings(repo, discovery, config, { offline: options.offline, env: options.env });
  for (const unit of plan.units) {
    try {
      report.folderBuilds += 1;
      const built = await buildUnit(docker, repo, unit, settings, log);
      for (const { flavor, targets } of unit.flavors) {
        if (!built.some((image) => image.id === flavor.id)) continue;
        const outcome: FlavorOutcome = { id: flavor.id, file: flavor.file, status: 'pushed', images: [] };
        try {
          for (const target of targets) {
            for (const tag of target.tags) {
              const pushed = await pushImage(docker, target.registry, target.repository, tag);
              outcome.images.push({ reference: pushed.reference, digest: pushed.digest });
            }
          }
          log(`pushed ${flavor.id}: ${outcome.images.map((image) => image.reference).join(', ')}`);
        } catch (error) {
          Object.assign(outcome, { status: 'failed', problem: asProblem(error, flavor.file) });
        }
        report.outcomes.push(outcome);
      }
    } catch (error) {
      const problem = asProblem(error, unit.worker.path);
      log(`failed ${unit.worker.path}: ${problem.code}`);
      for (const { flavor } of unit.flavors) report.outcomes.push({ id: flavor.id, file: flavor.file, status: 'failed', images: [], problem });
    }
  }

  const [primary] = config.registries;
  if (!primary) return report;
  const client = new RegistryClient({ host: primary.host, ca: primary.ca, plainHttp: primary.plainHttp, ...(primary.credentials ? { credentials: primary.credentials } : {}) });
  try {
    const publishable = discovery.workers.filter((worker) => worker.errorCount === 0);
    const assembled = await assembleCatalogs(publishable, primary, client, config.channel);
    report.missing = assembled.missing;
    report.catalogFiles = await writeCatalogs(config.output, assembled.catalogs);
  } catch (error) {
    if (!(error instanceof NeuronsError)) throw error;
    report.fatal = error;
  } finally {
    await client.close();
  }
  return report;
}
