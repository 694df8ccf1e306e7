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
 * What the images assembled in the registry cost, from the pipeline's log: per folder `assembled <folder> for
 * <platforms> in N s (dependency layers: ...)`, per folder and platform `dependencies of <folder> for <platform>:
 * ...` (from the registry cache, or `K package(s) installed (host|container) in N s`).
 */
export function assemblySummary(log) {
  const assembled = [...log.matchAll(/^assembled \S+ for .* in ([0-9.]+) s/gm)].map((match) => Number(match[1]));
  const installs = [
    ...log.matchAll(/^dependencies of \S+ for (\S+): \d+ package\(s\) installed \((\w+)\) in ([0-9.]+) s$/gm),
  ].map((match) => ({ platform: match[1], origin: match[2], seconds: Number(match[3]) }));
  const cached = [...log.matchAll(/^dependencies of \S+ for (\S+): from the registry cache/gm)].map(
    (match) => match[1],
  );
  return {
    folders: assembled.length,
    assembledSeconds: assembled.reduce((sum, value) => sum + value, 0),
    installs: installs.length,
    installSeconds: installs.reduce((sum, install) => sum + install.seconds, 0),
    installOrigins: [...new Set(installs.map((install) => `${install.platform} ${install.origin}`))],
    cacheHits: cached.length,
  };
}

/**
 * The report from `--json` output: one JSON document, or JSON lines (progress events) ending with the
 * `{"type":"summary", ...}` line.
 */
export function parseReport(stdout) {
  try {
    return JSON.parse(stdout);
  } catch {
    const summary = stdout
      .trim()
      .split('\n')
      .reverse()
      .map((line) => {
        try {
          return JSON.parse(line);
        } catch {
          return undefined;
        }
      })
      .find((event) => event?.type === 'summary');
    if (!summary) throw new Error(`no report in the output of neurons pipeline --json:\n${stdout.slice(-2000)}`);
    return summary;
  }
}

/** Runs the pipeline; a non-zero exit is a CommandFailure (its output tail is printed by the caller). */
export async function runNeuronsWay({
  fleet,
  output,
  namespace,
  platforms = [],
  concurrency,
  env = process.env,
  extra = [],
  wrap = [],
}) {
  const result = await runCommand(
    [
      ...wrap,
      cli,
      'pipeline',
      '--repo',
      fleet,
      '--output',
      output,
      '--namespace',
      namespace,
      ...platforms.flatMap((platform) => ['--platform', platform]),
      ...(concurrency ? ['--concurrency', String(concurrency)] : []),
      '--json',
      ...extra,
    ],
    { env },
  );
  const report = parseReport(result.stdout);
  const pushed = report.outcomes.filter((outcome) => outcome.status === 'pushed');
  const statuses = {};
  for (const outcome of report.outcomes) statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
  return {
    statuses,
    outcomes: report.outcomes,
    exitCode: result.code,
    seconds: result.seconds,
    folderBuilds: report.folderBuilds,
    flavors: report.outcomes.length,
    pushedFlavors: pushed.length,
    flavorBuilds: report.outcomes.filter((outcome) => outcome.status === 'pushed' || outcome.status === 'built').length,
    pushes: pushed.reduce((sum, outcome) => sum + outcome.images.length, 0),
    references: pushed.flatMap((outcome) => outcome.images.map((image) => image.reference)),
    folderBuildSeconds: folderBuildSeconds(result.output),
    assembly: assemblySummary(result.output),
    log: result.output,
    timeline: result.timeline,
  };
}
