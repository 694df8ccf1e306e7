import type Docker from 'dockerode';
import type { SmokeTester } from '../pipeline.js';
import { smokeTestFlavor } from '../smoke/smoke-test.js';

/** The smoke test the CLI runs on every built image before it may be pushed: sample jobs, else an import check. */
export function createSmokeTester(docker: Docker, repo: string, timeoutMs: number): SmokeTester {
  return async (image, worker, flavor) => {
    const result = await smokeTestFlavor(docker, { image, repo, worker, flavor, timeoutMs, network: 'host' });
    return result.problem ? { passed: result.passed, problem: result.problem } : { passed: result.passed };
  };
}
