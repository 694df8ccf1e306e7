// The toolkit's way: one `neurons pipeline` run over the whole fleet (each folder built once, then one thin
// image per flavor, every tag pushed, catalogs written).
import { fileURLToPath } from 'node:url';
import { runCommand } from './run-command.mjs';

const cli = fileURLToPath(new URL('../../bin/neurons', import.meta.url));

/** `seconds` per line `built <folder> in <seconds> s` that the pipeline logs for each folder image. */
function folderBuildSeconds(log) {
  return [...log.matchAll(/^built \S+.* in ([0-9.]+) s$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/**
 * The report from `--json` output: one JSON document, or JSON lines (progress events) ending with the
 * `{"type":"summary", ...}` line.
 */
export function parseReport(stdout) {
  try {
    return JSON.parse(stdout);
  } catch {
    const summary = stdout.trim().split('\n').reverse().map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        return undefined;
      }
    }).find((event) => event?.type === 'summary');
    if (!summary) throw new Error(`no report in the output of neurons pipeline --json:\n${stdout.slice(-2000)}`);
    return summary;
  }
}

/** Runs the pipeline; a non-zero exit is a CommandFailure (its output tail is printed by the caller). */
export async function runNeuronsWay({ fleet, output, namespace }) {
  const result = await runCommand([cli, 'pipeline', '--repo', fleet, '--output', output, '--namespace', namespace, '--json']);
  const report = parseReport(result.stdout);
  const pushed = report.outcomes.filter((outcome) => outcome.status === 'pushed');
  const statuses = {};
  for (const outcome of report.outcomes) statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
  return {
    statuses,
    exitCode: result.code,
    seconds: result.seconds,
    folderBuilds: report.folderBuilds,
    flavors: report.outcomes.length,
    pushedFlavors: pushed.length,
    flavorBuilds: report.outcomes.filter((outcome) => outcome.status === 'pushed' || outcome.status === 'built').length,
    pushes: pushed.reduce((sum, outcome) => sum + outcome.images.length, 0),
    references: pushed.flatMap((outcome) => outcome.images.map((image) => image.reference)),
    folderBuildSeconds: folderBuildSeconds(result.output),
    log: result.output,
  };
}
