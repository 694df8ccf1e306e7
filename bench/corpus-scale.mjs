// The whole corpus at once: every usable folder of the real Cortex-Analyzers definitions (Python flavors, no
// validation error) as one repository, each folder installing cortexutils + requests from ../shared/wheelhouse (served
// by this script as an HTTPS index), through `neurons pipeline` for linux/amd64 and linux/arm64: cold (nothing of the
// fleet in the registry or the engine), then with nothing changed. Not a comparison: what the tool does at the size
// of the real repository (time, the largest resident set of the neurons process, what it published), and a check
// that every flavor ends pushed as an index of both platforms with a catalog entry, and the second run pushes nothing.
// Build first: npx tsc -p tsconfig.json && node bench/corpus-scale.mjs [--keep] [--concurrency N]
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { environmentOrExit, sharedInputsOrSkip } from './lib/environment.mjs';
import { eligibleFolders, generateFleet } from './lib/fleet-generate.mjs';
import { discoverRepository } from '../dist/definitions/discover.js';
import { git } from './lib/fleet-history.mjs';
import { removeRepositories } from './lib/local-images.mjs';
import { mask } from './lib/run-command.mjs';
import { runNeuronsWay } from './lib/neurons-way.mjs';
import { settle } from './lib/settle.mjs';
import { startWheelhouseIndex } from './lib/wheelhouse-index.mjs';

const { values: options } = parseArgs({
  options: { keep: { type: 'boolean', default: false }, concurrency: { type: 'string' } },
});
const concurrency = options.concurrency === undefined ? undefined : Number(options.concurrency);
if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
  console.error('usage: node bench/corpus-scale.mjs [--keep] [--concurrency N]');
  process.exit(2);
}
const { corpus, wheelhouse } = sharedInputsOrSkip();
const log = (line) => console.log(mask(line));
const platforms = ['linux/amd64', 'linux/arm64'];
const environment = await environmentOrExit();
const stamp = Date.now().toString(36);
const namespace = `bench-corpus-${stamp}`;
const temp = await mkdtemp(path.join(tmpdir(), 'neurons-corpus-'));
const fleet = path.join(temp, 'repo');
const index = await startWheelhouseIndex({ wheelhouse, directory: temp });
const env = { ...process.env, ...index.neuronsEnv };
let failed = false;

/** One pipeline run over the fleet, through GNU time for the largest resident set; its report and timeline kept. */
async function pipeline(label) {
  const { seconds: waited } = await settle();
  if (waited >= 1) log(`  (${label}: waited ${waited.toFixed(1)} s for a quiet machine)`);
  const result = await runNeuronsWay({
    fleet,
    output: path.join(temp, `catalogs-${label}`),
    namespace,
    platforms,
    concurrency,
    env,
    wrap: ['/usr/bin/time', '-f', 'max-rss-kb %M'],
  });
  await writeFile(path.join(temp, `neurons-${label}.log`), mask(result.timeline));
  const rss = Number(/max-rss-kb (\d+)/.exec(result.log)?.[1] ?? NaN);
  const statuses = Object.entries(result.statuses)
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
  log(
    `${label}: ${result.seconds.toFixed(2)} s; ${statuses}; ${result.pushes} tags pushed; largest resident set of neurons ${(rss / 1024).toFixed(0)} MB`,
  );
  return { ...result, rss };
}

/** How many entries the run's catalogs hold, per catalog file. */
async function catalogEntries(label) {
  const folder = path.join(temp, `catalogs-${label}`);
  const counts = {};
  for (const name of ['analyzers.json', 'analyzers-stable.json', 'responders.json', 'responders-stable.json']) {
    const file = path.join(folder, name);
    if (existsSync(file)) counts[name] = JSON.parse(await readFile(file, 'utf8')).length;
  }
  return counts;
}

try {
  const corpusDiscovery = await discoverRepository(corpus, { definitionsOnly: true });
  const eligible = eligibleFolders(corpusDiscovery);
  const minFlavors = eligible.reduce((sum, worker) => sum + worker.flavors.length, 0);
  const generated = await generateFleet(corpus, fleet, {
    folders: eligible.length,
    minFlavors,
    nonce: stamp,
    requirements: ['cortexutils', 'requests'],
  });
  await git(fleet, ['init', '-q', '-b', 'main']);
  await git(fleet, ['add', '-A']);
  await git(fleet, ['commit', '-q', '-m', 'Fleet generated from the Cortex-Analyzers corpus']);
  const flavorCount = generated.flavors.length;
  log(
    `corpus: ${corpusDiscovery.workers.length} folders, ${corpusDiscovery.workers.reduce((sum, worker) => sum + worker.flavors.length, 0)} flavors; fleet: ${generated.workers.length} folders, ${flavorCount} Python flavors (left out: folders with a validation error, ${generated.skippedFolders.length}, and flavors whose command is not a .py script)`,
  );
  log(`registry ${environment.registry}, namespace ${namespace}; platforms ${platforms.join(' + ')}`);
  const cold = await pipeline('cold');
  // Every flavor pushed, each of its tags an index of both platforms.
  const short = cold.outcomes.filter(
    (outcome) =>
      outcome.status !== 'pushed' ||
      outcome.images.some((image) =>
        platforms.some((platform) => !image.platforms?.some((item) => item.platform === platform)),
      ),
  );
  if (cold.exitCode !== 0 || cold.flavors !== flavorCount || short.length > 0) {
    failed = true;
    log(
      `cold: expected ${flavorCount} flavors pushed for ${platforms.join(' + ')} (exit ${cold.exitCode}); not so: ${short
        .map((outcome) => `${outcome.id} (${outcome.status})`)
        .slice(0, 20)
        .join(', ')}`,
    );
    log(mask(cold.log).split('\n').slice(-30).join('\n'));
  }
  log(`  catalogs: ${JSON.stringify(await catalogEntries('cold'))}`);
  // Twice: the first right after the cold run, the second after it.
  for (const label of ['nothing-changed-1', 'nothing-changed-2']) {
    const noop = await pipeline(label);
    if (noop.exitCode !== 0 || noop.pushes !== 0 || noop.flavors !== flavorCount) {
      failed = true;
      log(`${label}: expected ${flavorCount} flavors and no push (exit ${noop.exitCode})`);
    }
  }
  const perFlavor = cold.seconds / flavorCount;
  log(
    `per flavor, cold, both platforms: ${perFlavor.toFixed(2)} s; per folder: ${(cold.seconds / generated.workers.length).toFixed(2)} s`,
  );
} catch (error) {
  failed = true;
  console.error(`failed: ${mask(error instanceof Error ? (error.stack ?? error.message) : String(error))}`);
} finally {
  await index.close();
  const removed = await removeRepositories([`${environment.registry}/${namespace}/*`]).catch(() => 0);
  if (options.keep) log(`kept: ${temp} (registry namespace ${namespace} kept; ${removed} local images removed)`);
  else {
    await rm(temp, { recursive: true, force: true });
    log(`clean-up: ${removed} local images removed; registry namespace ${namespace} kept`);
  }
}
process.exit(failed ? 1 : 0);
