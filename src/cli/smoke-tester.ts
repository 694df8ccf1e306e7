import type Docker from 'dockerode';
import type { Config } from '../config/load-config.js';
import type { SmokeTester } from '../pipeline.js';
import { workerSettings } from '../render/render-dockerfile.js';
import { describeSmokeResult, smokeTestFlavor, type SmokeCase } from '../smoke/smoke-test.js';
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
  return async (image, worker, flavor) => {
    const settings = smokeRunSettings(workerSettings(options.config, worker).smoke);
    const result = await smokeTestFlavor(docker, {
      image,
      repo: options.repo,
      worker,
      flavor,
      timeoutMs,
      scriptChecks,
      ...settings,
    });
    // The summary table shows a problem's first line: the cause (the container's last lines) is logged here.
    options.log(result.problem ? result.problem.message : describeSmokeResult(result));
    return result.problem ? { passed: result.passed, problem: result.problem } : { passed: result.passed };
  };
}
