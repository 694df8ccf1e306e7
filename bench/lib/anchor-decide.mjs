// The anchor's way of deciding whether an image is current: pull it, then read a label from the local copy
// (`docker inspect`), one image after the other. Stopped at a time budget, the rest extrapolated from the mean.
import { performance } from 'node:perf_hooks';
import { runCommand } from './run-command.mjs';

/**
 * For each reference in turn: `docker pull`, then `docker inspect` of `label`. Stops starting new ones once
 * `budgetSeconds` have passed. Returns the time of the ones done, their count, and the time extrapolated to all.
 */
export async function runAnchorDecide({ references, label, budgetSeconds, log }) {
  const started = performance.now();
  let pullSeconds = 0;
  let inspectSeconds = 0;
  let labelled = 0;
  let done = 0;
  for (const reference of references) {
    if ((performance.now() - started) / 1000 > budgetSeconds) break;
    const pull = await runCommand(['docker', 'pull', '-q', reference]);
    const inspect = await runCommand([
      'docker',
      'inspect',
      '--format',
      `{{index .Config.Labels ${JSON.stringify(label)}}}`,
      reference,
    ]);
    pullSeconds += pull.seconds;
    inspectSeconds += inspect.seconds;
    if (inspect.stdout.trim().startsWith('sha256:')) labelled += 1;
    done += 1;
    await log(
      `anchor decide ${done}/${references.length} ${reference}: pull ${pull.seconds.toFixed(2)} s, inspect ${inspect.seconds.toFixed(2)} s`,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    done,
    total: references.length,
    labelled,
    pullSeconds,
    inspectSeconds,
    seconds,
    extrapolatedSeconds: done > 0 ? (seconds / done) * references.length : Number.NaN,
  };
}
