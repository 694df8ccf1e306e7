// Builds a fleet generated from the real Cortex-Analyzers definitions (stub code, one local requirement) twice on
// the same engine and registry: the anchor's way (one `docker build` + `docker push` per flavor, in sequence),
// then `neurons pipeline` (twice: cold, then with nothing changed). Prints both times and the ratio.
// Build first: npx tsc -p tsconfig.json && node bench/fleet-build.mjs [--folders 40] [--min-flavors 100]
//   [--keep] [--skip-anchor] [--skip-neurons]. Fairness and clean-up choices: bench/README.md.
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runAnchorWay } from './lib/anchor-way.mjs';
import { readEnvironment } from './lib/environment.mjs';
import { generateFleet } from './lib/fleet-generate.mjs';
import { listReferences, removeReferences } from './lib/local-images.mjs';
import { runNeuronsWay } from './lib/neurons-way.mjs';
import { CommandFailure, mask, runCommand } from './lib/run-command.mjs';

const { values: options } = parseArgs({
  options: {
    folders: { type: 'string', default: '40' },
    'min-flavors': { type: 'string', default: '100' },
    keep: { type: 'boolean', default: false },
    'skip-anchor': { type: 'boolean', default: false },
    'skip-neurons': { type: 'boolean', default: false },
  },
});
const folders = Number(options.folders);
const minFlavors = Number(options['min-flavors']);
if (!Number.isInteger(folders) || folders < 1 || !Number.isInteger(minFlavors) || minFlavors < 1) {
  console.error(
    'usage: node bench/fleet-build.mjs [--folders N] [--min-flavors N] [--keep] [--skip-anchor] [--skip-neurons]',
  );
  process.exit(2);
}

const corpus = fileURLToPath(new URL('../../shared/corpus/cortex-analyzers', import.meta.url));
if (!existsSync(corpus)) {
  console.log(`skipped: no corpus at ${corpus}`);
  process.exit(0);
}

const log = (line) => console.log(mask(line));
const seconds = (value) => value.toFixed(1);

// Not timed: idempotent, about a second when the environment is already up.
const environment = await runCommand([fileURLToPath(new URL('../bin/neurons', import.meta.url)), 'env', 'up']).then(
  () => readEnvironment(),
  (error) => {
    console.error(
      error instanceof CommandFailure ? `failed: ${error.message}\n${error.tail()}` : `failed: ${mask(String(error))}`,
    );
    process.exit(1);
  },
);
const stamp = Date.now().toString(36);
const temp = await mkdtemp(path.join(tmpdir(), 'neurons-fleet-'));
const fleet = path.join(temp, 'repo');
const anchorNamespace = `bench-anchor-${stamp}`;
const neuronsNamespace = `bench-neurons-${stamp}`;
const results = {};
let fleetFolders = [];
let folderTagsBefore = new Set();

try {
  const generated = await generateFleet(corpus, fleet, { folders, minFlavors, nonce: stamp });
  fleetFolders = generated.workers;
  log(`fleet: ${generated.workers.length} folders, ${generated.flavors.length} flavors in ${fleet}`);
  log(`  corpus folders left out for validation errors: ${generated.skippedFolders.join(', ') || 'none'}`);
  log(`engine and registry: ${environment.registry}, base ${environment.pythonBase}`);
  folderTagsBefore = new Set(await listReferences('neurons.local/*'));

  if (!options['skip-anchor']) {
    log(`anchor way: ${generated.flavors.length} x (docker build + docker push) into ${anchorNamespace}`);
    results.anchor = await runAnchorWay({
      fleet,
      flavors: generated.flavors,
      registry: environment.registry,
      namespace: anchorNamespace,
      baseImage: environment.pythonBase,
      indexUrl: environment.indexUrl,
      caFile: environment.caFile,
      work: path.join(temp, 'anchor'),
      log: (line) => {
        if (process.env.BENCH_VERBOSE) log(line);
        return appendFile(path.join(temp, 'anchor.log'), `${mask(line)}\n`);
      },
    });
    log(
      `  ${seconds(results.anchor.seconds)} s (builds ${seconds(results.anchor.buildSeconds)} s, pushes ${seconds(results.anchor.pushSeconds)} s)`,
    );
  }

  if (!options['skip-neurons']) {
    for (const run of ['first', 'second']) {
      log(`neurons way, ${run} run: neurons pipeline --namespace ${neuronsNamespace}`);
      const result = await runNeuronsWay({
        fleet,
        output: path.join(temp, `catalogs-${run}`),
        namespace: neuronsNamespace,
      });
      results[run] = result;
      await writeFile(path.join(temp, `neurons-${run}.log`), mask(result.log));
      const statuses = Object.entries(result.statuses)
        .map(([status, count]) => `${count} ${status}`)
        .join(', ');
      log(
        `  exit ${result.exitCode}, ${seconds(result.seconds)} s: ${result.folderBuilds} folder builds for ${result.flavors} flavors (${statuses}; ${result.pushes} tags pushed); folder builds summed ${seconds(result.folderBuildSeconds)} s`,
      );
      const expected = run === 'first' ? 'pushed' : undefined;
      if (
        result.flavors !== generated.flavors.length ||
        result.statuses.failed ||
        (expected && result.pushedFlavors !== generated.flavors.length)
      ) {
        throw new Error(
          `neurons pipeline: ${statuses} for ${generated.flavors.length} flavors\n${result.log.split('\n').slice(-40).join('\n')}`,
        );
      }
    }
  }

  const rows = [['way', 'builds', 'pushes', 'wall (s)']];
  if (results.anchor)
    rows.push([
      'anchor (per flavor, sequential)',
      String(results.anchor.builds),
      `${results.anchor.pushes} images (${results.anchor.pushes} tags)`,
      seconds(results.anchor.seconds),
    ]);
  const neuronsRow = (label, result) => [
    label,
    `${result.folderBuilds} folder + ${result.flavorBuilds} flavor`,
    `${result.pushedFlavors} images (${result.pushes} tags)`,
    seconds(result.seconds),
  ];
  if (results.first) rows.push(neuronsRow('neurons pipeline', results.first));
  if (results.second) rows.push(neuronsRow('neurons pipeline, nothing changed', results.second));
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  console.log('');
  for (const row of rows)
    console.log(
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
        .join('  '),
    );
  if (results.anchor && results.first)
    console.log(`ratio anchor/neurons: ${(results.anchor.seconds / results.first.seconds).toFixed(2)}`);
  if (results.anchor && results.second)
    console.log(
      `ratio anchor/neurons (nothing changed): ${(results.anchor.seconds / results.second.seconds).toFixed(2)}`,
    );
} catch (error) {
  process.exitCode = 1;
  if (error instanceof CommandFailure) {
    console.error(`failed: ${error.message}\n${error.tail()}`);
  } else {
    console.error(`failed: ${mask(error instanceof Error ? (error.stack ?? error.message) : String(error))}`);
  }
} finally {
  // Local images this run tagged (the registry keeps its content: see bench/README.md).
  const ownFolderRepositories = new Set(
    fleetFolders.map((worker) => `neurons.local/${worker.kind}-${worker.directory.toLowerCase()}`),
  );
  const folderTags = (await listReferences('neurons.local/*')).filter(
    (reference) =>
      !folderTagsBefore.has(reference) && ownFolderRepositories.has(reference.slice(0, reference.lastIndexOf(':'))),
  );
  const tagged = [
    ...(await listReferences(`${environment.registry}/${anchorNamespace}/*`)),
    ...(await listReferences(`${environment.registry}/${neuronsNamespace}/*`)),
    ...folderTags,
  ];
  const removed = await removeReferences(tagged);
  log(`clean-up: removed ${removed} local tags; registry namespaces ${anchorNamespace} and ${neuronsNamespace} kept`);
  if (options.keep) log(`kept: ${temp}`);
  else await rm(temp, { recursive: true, force: true });
}
