import { isAlive } from './processes.js';
import type { EnvironmentState } from '../state/environment-state.js';

/** Stops the registries, the token service and the package index started by `env up`; the Docker engine and all data stay. */
export function bringEnvironmentDown(state: EnvironmentState, log: (line: string) => void): void {
  for (const service of ['registry', 'mirror', 'tokenService', 'packageIndex'] as const) {
    const pid = state.pids[service];
    if (pid !== undefined && isAlive(pid)) {
      process.kill(pid, 'SIGTERM');
      log(`${service}: stopped (pid ${pid})`);
    }
  }
}
