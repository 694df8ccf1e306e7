import type Docker from 'dockerode';
import type { Config } from '../config/load-config.js';
import type { SmokeTester } from '../pipeline.js';
import { workerSettings } from '../render/render-dockerfile.js';
import type { WorkerFolder } from '../definitions/types.js';
import { smokeTestFolder } from '../smoke/smoke-folder.js';
import type { LayerCovers } from '../smoke/layer-cover.js';
import { SharedNoNetwork } from '../smoke/shared-network.js';
import { describeSmokeResult, smokeTestFlavor, type SmokeCase, type SmokeResult } from '../smoke/smoke-test.js';
import type { SmokeVerdict } from '../smoke/tester.js';
import { smokeRunSettings } from '../smoke/smoke-settings.js';

/**
 * The smoke test the CLI runs on every built image before it may be pushed: sample jobs, else a job made up for the
 * flavor, each without network unless the worker's settings (`workers.<Dir>.smoke`) allow it. One log line per image
 * says what ran, or why nothing did.
 */
export function createSmokeTester(
  docker: Docker,
  options: { repo: string; config: Config; env: NodeJS.ProcessEnv; log: (line: string) => void },
): SmokeTester {
  // Each job's time limit, in seconds (`NEURONS_SMOKE_TIMEOUT`, default 120).
  const timeoutMs = Number(options.env['NEURONS_SMOKE_TIMEOUT'] ?? 120) * 1000;
  // The flavors of a folder share their filesystem: their entry script is checked once in the run.
  const scriptChecks = new Map<string, Promise<SmokeCase>>();
  const common = (worker: WorkerFolder) => ({
    repo: options.repo,
    worker,
    timeoutMs,
    scriptChecks,
    ...smokeRunSettings(workerSettings(options.config, worker).smoke),
  });
  // The summary table shows a problem's first line: the cause (the container's last lines) is logged here.
  const verdict = (result: SmokeResult): SmokeVerdict => {
    options.log(result.problem ? result.problem.message : describeSmokeResult(result));
    return result.problem ? { passed: result.passed, problem: result.problem } : { passed: result.passed };
  };
  const tester: SmokeTester = async (image, worker, flavor) =>
    verdict(await smokeTestFlavor(docker, { ...common(worker), image, flavor }));
  // What the first folder on a base and dependency layer proved on an emulated platform, for the next ones.
  const covers: LayerCovers = new Map();
  const sharedNetwork = new SharedNoNetwork(docker);
  tester.warm = (images) => sharedNetwork.warm(images);
  tester.close = () => sharedNetwork.close();
  tester.folder = async (images, worker, emulated) => {
    // How much runs under emulation: the worker's own setting, else the repository's.
    const choice = workerSettings(options.config, worker).smoke?.emulated ?? options.config.smoke.emulated;
    const sampled =
      emulated && choice !== 'every-flavor'
        ? { emulated: choice === 'per-dependency-layer' ? { ...emulated, covers } : emulated }
        : {};
    return (await smokeTestFolder(docker, { ...common(worker), images, ...sampled, sharedNetwork })).map(verdict);
  };
  return tester;
}
