// Change detection on a fleet of the whole corpus with a long git history: `neurons detect` with nothing changed
// and with one changed folder, a no-op `neurons push` when everything is published (git-guided and --all), and the
// anchor's way of deciding (pull each image, read its label) on the same registry.
// Build first: npx tsc -p tsconfig.json && node bench/detect-fleet.mjs [--commits 2000] [--runs 5]
//   [--anchor-budget 600] [--keep] [--reuse DIR]. What is measured and how: bench/README.md.
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildInputLabel } from '../dist/inputs/build-inputs.js';
import { runAnchorDecide } from './lib/anchor-decide.mjs';
import { readEnvironment } from './lib/environment.mjs';
import { commitWithHistory, generateWholeFleet, git } from './lib/fleet-history.mjs';
import { listReferences, removeReferences } from './lib/local-images.mjs';
import { parseReport } from './lib/neurons-way.mjs';
import { CommandFailure, mask, runCommand } from './lib/run-command.mjs';
import { runLogged } from './lib/run-logged.mjs';
import { repeat, summarize } from './lib/timing.mjs';

const { values: options } = parseArgs({
  options: {
    commits: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '5' },
    'anchor-budget': { type: 'string', default: '600' },
    'publish-timeout': { type: 'string', default: '1800' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'string' },
  },
});
const commits = Number(options.commits);
const runs = Number(options.runs);
const anchorBudget = Number(options['anchor-budget']);
const publishTimeout = Number(options['publish-timeout']);
if (![commits, runs, anchorBudget, publishTimeout].every((value) => Number.isInteger(value) && value >= 1)) {
  console.error(
    'usage: node bench/detect-fleet.mjs [--commits N] [--runs N] [--anchor-budget S] [--publish-timeout S] [--keep] [--reuse DIR]',
  );
  process.exit(2);
}

const corpus = fileURLToPath(new URL('../../shared/corpus/cortex-analyzers', import.meta.url));
if (!existsSync(corpus)) {
  console.log(`skipped: no corpus at ${corpus}`);
  process.exit(0);
}

const cli = fileURLToPath(new URL('../bin/neurons', import.meta.url));
const log = (line) => console.log(mask(line));
const seconds = (value) => value.toFixed(2);
const fail = (error) => {
  console.error(
    error instanceof CommandFailure
      ? `failed: ${error.message}\n${error.tail()}`
      : `failed: ${mask(error instanceof Error ? (error.stack ?? error.message) : String(error))}`,
  );
};

// Not timed: idempotent, about a second when the environment is already up.
const environment = await runCommand([cli, 'env', 'up']).then(
  () => readEnvironment(),
  (error) => {
    fail(error);
    process.exit(1);
  },
);

// A reused run (--reuse DIR, from an earlier --keep) skips generation and publishing: its state says what exists.
const temp = options.reuse ? path.resolve(options.reuse) : await mkdtemp(path.join(tmpdir(), 'neurons-detect-'));
const fleet = path.join(temp, 'repo');
const stateFile = path.join(temp, 'bench-state.json');
let state;
const rows = [];
/** The local tags of this fleet: its flavor images in the namespace, and folder images that did not exist before. */
async function localFleetTags() {
  const repositories = new Set(
    state.workers.map(({ kind, directory }) => `neurons.local/${kind}-${directory.toLowerCase()}`),
  );
  const before = new Set(state.folderTagsBefore);
  const folderTags = (await listReferences('neurons.local/*')).filter(
    (reference) => !before.has(reference) && repositories.has(reference.slice(0, reference.lastIndexOf(':'))),
  );
  return [...(await listReferences(`${environment.registry}/${state.namespace}/*`)), ...folderTags];
}
const row = (label, summary, note) =>
  rows.push([label, seconds(summary.min), seconds(summary.median), String(summary.runs), note]);

/** `neurons detect --json` (registry and namespace from the environment); its report and wall time. */
async function detect(base) {
  const result = await runCommand([cli, 'detect', '--repo', fleet, '--base', base, '--json'], {
    env: { ...process.env, NEURONS_NAMESPACE: state.namespace },
  });
  return { seconds: result.seconds, report: JSON.parse(result.stdout) };
}

/** A no-op `neurons push`: every flavor must come out unchanged. */
async function noOpPush(extra) {
  const result = await runCommand([
    cli,
    'push',
    '--repo',
    fleet,
    '--namespace',
    state.namespace,
    '--skip-tests',
    '--json',
    ...extra,
  ]);
  const report = parseReport(result.stdout);
  const changed = report.outcomes.filter((outcome) => outcome.status !== 'unchanged');
  if (changed.length > 0 || report.outcomes.length !== state.flavors) {
    throw new Error(
      `push ${extra.join(' ')}: expected ${state.flavors} unchanged flavors, got ${report.outcomes.length} with ${changed.length} not unchanged (${changed
        .slice(0, 5)
        .map((outcome) => `${outcome.id} ${outcome.status}`)
        .join(', ')})`,
    );
  }
  return { seconds: result.seconds };
}

try {
  if (options.reuse) {
    state = JSON.parse(await readFile(stateFile, 'utf8'));
    log(`reusing ${temp}: namespace ${state.namespace}, published in ${seconds(state.publishSeconds)} s`);
  } else {
    const stamp = Date.now().toString(36);
    const namespace = `bench-detect-${stamp}`;
    const generated = await generateWholeFleet(corpus, fleet, { nonce: stamp });
    const historyStarted = Date.now();
    const commitCount = await commitWithHistory(fleet, generated.workers, { commits });
    state = {
      namespace,
      folders: generated.workers.length,
      flavors: generated.flavors.length,
      corpusFlavors: generated.corpusFlavors,
      skippedFolders: generated.skippedFolders,
      commits: commitCount,
      historySeconds: (Date.now() - historyStarted) / 1000,
      workers: generated.workers.map(({ kind, directory, path: workerPath }) => ({
        kind,
        directory,
        path: workerPath,
      })),
      folderTagsBefore: await listReferences('neurons.local/*'),
    };
    await writeFile(stateFile, JSON.stringify(state, null, 2));
    log(
      `fleet: ${state.folders} folders, ${state.flavors} flavors (corpus: ${state.corpusFlavors}; left out for validation errors: ${state.skippedFolders.join(', ') || 'none'})`,
    );
    log(`  ${state.commits} commits (history written in ${seconds(state.historySeconds)} s) in ${fleet}`);

    // Published once; its time is printed, not the metric. Progress: tail -f <temp>/publish.log
    log(
      `publishing: neurons push --namespace ${namespace} --skip-tests --concurrency 2 (log: ${path.join(temp, 'publish.log')})`,
    );
    const publish = await runLogged(
      [cli, 'push', '--repo', fleet, '--namespace', namespace, '--skip-tests', '--json', '--concurrency', '2'],
      { logFile: path.join(temp, 'publish.log'), timeoutSeconds: publishTimeout },
    );
    const report = parseReport(publish.stdout);
    const pushed = report.outcomes.filter((outcome) => outcome.status === 'pushed');
    if (pushed.length !== state.flavors)
      throw new Error(`publish: ${pushed.length} of ${state.flavors} flavors pushed`);
    // The exact-version tag comes first in each outcome's images: the one the anchor reads.
    state.references = pushed.map((outcome) => outcome.images[0].reference);
    state.publishSeconds = publish.seconds;
    state.folderBuilds = report.folderBuilds;
    state.tagsPushed = pushed.reduce((sum, outcome) => sum + outcome.images.length, 0);
    await writeFile(stateFile, JSON.stringify(state, null, 2));
    log(
      `  ${seconds(publish.seconds)} s: ${state.folderBuilds} folder builds, ${pushed.length} flavors, ${state.tagsPushed} tags pushed`,
    );
  }

  // a. Nothing changed.
  const unchanged = await repeat(runs, () => detect('HEAD'));
  for (const { report } of unchanged)
    if (report.rebuild.length > 0)
      throw new Error(`detect --base HEAD: ${report.rebuild.length} folders to rebuild, expected none`);
  row(
    'detect --base HEAD (nothing changed)',
    summarize(unchanged),
    `${unchanged[0].report.digestChecks} digest checks, ${unchanged[0].report.unchanged} unchanged`,
  );

  // b. One changed folder: a line appended to one file of one worker folder, committed; reverted after.
  const target = state.workers[Math.floor(state.workers.length / 2)].path;
  await appendFile(path.join(fleet, target, 'NOTES.md'), '- one more change\n');
  await git(fleet, ['commit', '-q', '-am', `Change ${target}`]);
  let oneFolder;
  try {
    oneFolder = await repeat(runs, () => detect('HEAD~1'));
  } finally {
    await git(fleet, ['reset', '-q', '--hard', 'HEAD~1']);
  }
  for (const { report } of oneFolder) {
    const listed = report.rebuild.map(
      (worker) => `${worker.kind === 'analyzer' ? 'analyzers' : 'responders'}/${worker.directory}`,
    );
    if (listed.length !== 1 || listed[0] !== target)
      throw new Error(`detect --base HEAD~1 after changing ${target}: listed ${listed.join(', ') || 'nothing'}`);
  }
  const changedReport = oneFolder[0].report;
  row(
    'detect --base HEAD~1 (one folder changed)',
    summarize(oneFolder),
    `${target} [${changedReport.rebuild[0].reasons.join(', ')}]; ${changedReport.digestChecks} digest checks; target < 1 s`,
  );

  // c. Everything published, nothing changed: the whole push pipeline, git-guided, then every flavor by digest.
  const auto = summarize(await repeat(runs, () => noOpPush(['--base', 'HEAD'])));
  row('push --base HEAD (no-op, mode auto)', auto, 'target < 3 s');
  const all = summarize(await repeat(Math.min(runs, 3), () => noOpPush(['--all'])));
  row('push --all (no-op, digest per flavor)', all, `${state.flavors} digest checks`);

  // d. The anchor's way: the fleet's local images removed first so that pulls are real (base images kept).
  log(
    `anchor: removed ${await removeReferences(await localFleetTags())} local tags of the fleet; pulling ${state.references.length} images (budget ${anchorBudget} s)`,
  );
  const anchor = await runAnchorDecide({
    references: state.references,
    label: buildInputLabel,
    budgetSeconds: anchorBudget,
    log: (line) => appendFile(path.join(temp, 'anchor.log'), `${mask(line)}\n`),
  });
  if (anchor.labelled !== anchor.done)
    throw new Error(
      `anchor: ${anchor.done - anchor.labelled} of ${anchor.done} pulled images had no ${buildInputLabel} label`,
    );
  const sampled = anchor.done < anchor.total;
  rows.push([
    'anchor: docker pull + inspect per flavor',
    '',
    seconds(sampled ? anchor.extrapolatedSeconds : anchor.seconds),
    '1',
    sampled
      ? `EXTRAPOLATED from ${anchor.done}/${anchor.total} images in ${seconds(anchor.seconds)} s`
      : `${anchor.total} images (pulls ${seconds(anchor.pullSeconds)} s, inspects ${seconds(anchor.inspectSeconds)} s)`,
  ]);
  await removeReferences(await localFleetTags());

  const header = ['measure', 'min (s)', 'median (s)', 'runs', 'notes'];
  const table = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...table.map((cells) => cells[column].length)));
  console.log('');
  console.log(
    `fleet: ${state.folders} folders, ${state.flavors} flavors, ${state.commits} commits; published once in ${seconds(state.publishSeconds)} s (${state.folderBuilds} folder builds, ${state.tagsPushed} tags)`,
  );
  for (const cells of table)
    console.log(
      mask(
        cells
          .map((cell, column) =>
            column === 0 || column === 4 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]),
          )
          .join('  ')
          .trimEnd(),
      ),
    );
  const anchorSeconds = sampled ? anchor.extrapolatedSeconds : anchor.seconds;
  console.log(
    `ratio anchor / neurons no-op push: ${(anchorSeconds / auto.median).toFixed(1)} (mode auto), ${(anchorSeconds / all.median).toFixed(1)} (--all)`,
  );
} catch (error) {
  process.exitCode = 1;
  fail(error);
} finally {
  if (options.keep || options.reuse) log(`kept: ${temp} (rerun the measures with --reuse ${temp})`);
  else {
    if (state?.namespace)
      log(
        `clean-up: removed ${await removeReferences(await localFleetTags())} local tags; registry namespace ${state.namespace} kept`,
      );
    await rm(temp, { recursive: true, force: true });
  }
}
