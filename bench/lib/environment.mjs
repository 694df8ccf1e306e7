// What the benchmark needs from the local environment (`neurons env up` records it in state.json).
import { environmentDirectory, readEnvironmentState, stateFile } from '../../dist/state/environment-state.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mask, registerSecret } from './run-command.mjs';

/**
 * The real Cortex-Analyzers definitions and the wheels of real packages beside the clone (`../shared`); a benchmark
 * that needs them ends here with `skipped:` (exit 0) when one is absent.
 */
export function sharedInputsOrSkip() {
  const corpus = fileURLToPath(new URL('../../../shared/corpus/cortex-analyzers', import.meta.url));
  const wheelhouse = fileURLToPath(new URL('../../../shared/wheelhouse', import.meta.url));
  for (const [what, folder] of [
    ['corpus', corpus],
    ['wheelhouse', wheelhouse],
  ]) {
    if (!existsSync(folder)) {
      console.log(`skipped: no ${what} at ${folder}`);
      process.exit(0);
    }
  }
  return { corpus, wheelhouse };
}

/** readEnvironment, or the benchmark ends with `failed:` (exit 1); `neurons env up` is not run here (bench/README.md). */
export function environmentOrExit() {
  return readEnvironment().catch((error) => {
    console.error(`failed: ${mask(String(error))}`);
    process.exit(1);
  });
}

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
