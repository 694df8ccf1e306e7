// What the benchmark needs from the local environment (`neurons env up` records it in state.json).
import { environmentDirectory, readEnvironmentState, stateFile } from '../../dist/state/environment-state.js';
import { registerSecret } from './run-command.mjs';

/** Registry host and credentials (`user:password`), python base image, and the package index URL with its credentials built in (masked in output). */
export async function readEnvironment(env = process.env) {
  const directory = environmentDirectory(env);
  const state = await readEnvironmentState(directory);
  if (!state) throw new Error(`no local environment recorded in ${stateFile(directory)}: run ./bin/neurons env up`);
  registerSecret(state.registry.password);
  registerSecret(state.packageIndex.password);
  const index = new URL(state.packageIndex.url);
  index.username = encodeURIComponent(state.packageIndex.username);
  index.password = encodeURIComponent(state.packageIndex.password);
  registerSecret(index.password);
  return {
    registry: state.registry.host,
    registryCredentials: `${state.registry.username}:${state.registry.password}`,
    pythonBase: state.baseImages.python,
    indexUrl: index.href,
    caFile: state.caFile,
  };
}
