// Images assembled in the registry against the anchor's builds, on a fleet generated from the real Cortex-Analyzers
// definitions whose folders install real packages (cortexutils + requests, from ../shared/wheelhouse served by this
// script as an HTTPS index both ways use):
//   a. cold fleet, linux/amd64: per flavor `docker build` + `docker push` against `neurons pipeline --platform linux/amd64`
//   b. cold fleet, linux/amd64 + linux/arm64: per flavor `buildah build --platform ... --manifest` + `buildah manifest
//      push --all` against `neurons pipeline` for both platforms (skipped while the base image is not an index of both)
//   c. one worker's code changed (a commit of the fleet's repository), the fleet's images removed from the engine: the
//      anchor's build + push of its flavors against `neurons pipeline --base <the commit before>` (amd64), as CI runs
//      it on a push; then once more with no history to compare with (`--mode digest`: every folder's build inputs)
//   d. nothing changed: `neurons pipeline` (amd64; and both platforms when b ran)
// Build first: npx tsc -p tsconfig.json && node bench/assembly-fleet.mjs [--folders 40] [--min-flavors 100] [--keep]
//   [--buildah-budget SECONDS] [--noop-runs N] [--concurrency N]. Fairness notes: bench/README.md.
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runAnchorWay } from './lib/anchor-way.mjs';
import { buildahCertDir, pullBase, registryPlatforms, removeBuildahImages, runBuildahWay } from './lib/buildah-way.mjs';
import { environmentOrExit, sharedInputsOrSkip } from './lib/environment.mjs';
import { generateFleet } from './lib/fleet-generate.mjs';
import { git } from './lib/fleet-history.mjs';
import { removeRepositories } from './lib/local-images.mjs';
import { runNeuronsWay } from './lib/neurons-way.mjs';
import { CommandFailure, mask, runCommand } from './lib/run-command.mjs';
import { summarize } from './lib/timing.mjs';
import { startWheelhouseIndex } from './lib/wheelhouse-index.mjs';
import { writeHeavyWheelhouse } from './lib/heavy-wheel.mjs';
import { settle } from './lib/settle.mjs';

const { values: options } = parseArgs({
  options: {
    folders: { type: 'string', default: '40' },
    'min-flavors': { type: 'string', default: '100' },
    keep: { type: 'boolean', default: false },
    'buildah-budget': { type: 'string', default: '1500' },
    'noop-runs': { type: 'string', default: '3' },
    concurrency: { type: 'string' },
  },
});
const folders = Number(options.folders);
const minFlavors = Number(options['min-flavors']);
const buildahBudget = Number(options['buildah-budget']);
const noopRuns = Number(options['noop-runs']);
// neurons' own default (folders at a time) unless given: passed on as `--concurrency N`.
const concurrency = options.concurrency === undefined ? undefined : Number(options.concurrency);
if (
  ![folders, minFlavors, buildahBudget, noopRuns, concurrency ?? 1].every(
    (value) => Number.isInteger(value) && value >= 1,
  )
) {
  console.error(
    'usage: node bench/assembly-fleet.mjs [--folders N] [--min-flavors N] [--keep] [--buildah-budget SECONDS] [--noop-runs N] [--concurrency N]',
  );
  process.exit(2);
}

const { corpus, wheelhouse } = sharedInputsOrSkip();

const log = (line) => console.log(mask(line));
const seconds = (value) => value.toFixed(2);
const amd64 = 'linux/amd64';
const arm64 = 'linux/arm64';

const environment = await environmentOrExit();
const stamp = Date.now().toString(36);
const temp = await mkdtemp(path.join(tmpdir(), 'neurons-assembly-'));
const fleet = path.join(temp, 'repo');
const namespaces = {
  anchor: `bench-anchor-${stamp}`,
  buildah: `bench-buildah-${stamp}`,
  amd64: `bench-assembly-${stamp}`,
  both: `bench-assembly2-${stamp}`,
  untested: `bench-assembly0-${stamp}`,
  untested2: `bench-assembly02-${stamp}`,
};
const rows = [];
// The wheelhouse and a made-up heavy package (step c, heavy), served together.
const heavyHouse = await writeHeavyWheelhouse({ wheelhouse, directory: temp });
const heavyLabel = `heavy: ${heavyHouse.requirement} ${(heavyHouse.bytes / 1e6).toFixed(1)} MB`;
const index = await startWheelhouseIndex({ wheelhouse: heavyHouse.wheelhouse, directory: temp });
let generatedFlavors = [];
const neuronsEnv = { ...process.env, ...index.neuronsEnv };
const fileLog = (name) => (line) => appendFile(path.join(temp, name), `${mask(line)}\n`);
let buildahReferences = [];

/** Before each timed side: dirty pages written and the machine quiet (bench/lib/settle.mjs); logged when it waited. */
async function quiet(what) {
  const { seconds: waited, share } = await settle();
  if (waited >= 1 || share >= 0.15)
    log(
      `  (${what}: waited ${waited.toFixed(1)} s for a quiet machine; ${(share * 100).toFixed(0)}% busy at the start)`,
    );
}

/** One `neurons pipeline` run; its log kept in the temp folder; fails the benchmark unless `check` holds. */
async function neurons(label, platforms, namespace, check, extra = []) {
  await quiet(`neurons ${label}`);
  const result = await runNeuronsWay({
    fleet,
    output: path.join(temp, `catalogs-${namespace}`),
    namespace,
    platforms,
    concurrency,
    env: neuronsEnv,
    extra,
  });
  await writeFile(path.join(temp, `neurons-${label}.log`), mask(result.timeline));
  const statuses = Object.entries(result.statuses)
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
  const { assembly } = result;
  log(
    `  neurons ${label}: ${seconds(result.seconds)} s; ${statuses}; ${result.pushes} tags; ${assembly.folders} folders assembled (summed ${assembly.assembledSeconds.toFixed(1)} s), ${assembly.installs} dependency installs (summed ${assembly.installSeconds.toFixed(1)} s; ${assembly.installOrigins.join(', ') || 'none'}), ${assembly.cacheHits} from the registry cache`,
  );
  const problem = check(result);
  if (problem)
    throw new Error(
      `neurons ${label}: ${problem} (${statuses})\n${mask(result.log)
        .split('\n')
        .slice(-40)
        .map((line) => line.slice(0, 400))
        .join('\n')}`,
    );
  return result;
}

/**
 * Step c for one worker: its code changed and its flavors' versions bumped (published versions are immutable in
 * neurons; the anchor overwrites its tags), committed, every fleet image removed from the engine, then the anchor's
 * build + push of its flavors against one `neurons pipeline` over the whole fleet. As CI runs it on a push, neurons
 * gets the commit before the change as its base (`--base`, what a push event's `before` gives); with `digest`, it is
 * given none and reads every folder's build inputs (`--mode digest`, a repository without history). Adds a row.
 */
async function changeOne(changed, label, what, how = 'git') {
  const changedFlavors = [];
  for (const flavor of generatedFlavors.filter((candidate) => candidate.worker === changed)) {
    const definition = JSON.parse(await readFile(path.join(fleet, flavor.file), 'utf8'));
    definition.version = bumpVersion(definition.version);
    await writeFile(path.join(fleet, flavor.file), `${JSON.stringify(definition, null, 2)}\n`);
    changedFlavors.push({ ...flavor, version: definition.version });
  }
  for (const command of new Set(changedFlavors.map((flavor) => flavor.command))) {
    const program = path.join(fleet, changed.path.split('/')[0], command);
    await writeFile(program, `${await readFile(program, 'utf8')}# changed by the benchmark (step ${label})\n`);
  }
  const before = (await git(fleet, ['rev-parse', 'HEAD'])).stdout.trim();
  await git(fleet, ['add', '-A']);
  await git(fleet, ['commit', '-q', '-m', `Change ${changed.path} (step ${label})`]);
  const removed = await removeRepositories([
    `${environment.registry}/${namespaces.anchor}/*`,
    `${environment.registry}/${namespaces.amd64}/*`,
  ]);
  log(
    `${what}: code of ${changed.path} changed (${changedFlavors.length} flavors); ${removed} fleet images removed from the engine`,
  );
  await quiet(`anchor ${label}`);
  const anchorChange = await runAnchorWay({
    fleet,
    flavors: changedFlavors,
    registry: environment.registry,
    namespace: namespaces.anchor,
    baseImage: environment.pythonBase,
    indexUrl: index.urlWithCredentials,
    caFile: index.caFile,
    work: path.join(temp, `anchor-${label}`),
    log: fileLog('anchor.log'),
  });
  log(
    `  anchor: ${seconds(anchorChange.seconds)} s (builds ${anchorChange.buildSeconds.toFixed(1)} s, pushes ${anchorChange.pushSeconds.toFixed(1)} s)`,
  );
  const change = await neurons(
    label,
    [amd64],
    namespaces.amd64,
    (result) => {
      const pushed = result.pushedFlavors;
      return pushed !== changedFlavors.length || result.statuses.failed || result.flavors !== generatedFlavors.length
        ? `${pushed} flavors pushed, expected the ${changedFlavors.length} of ${changed.path}`
        : undefined;
    },
    how === 'git' ? ['--base', before] : ['--mode', 'digest'],
  );
  rows.push([
    `${what}. code of ${changed.path} changed (${changedFlavors.length} flavors), amd64, ${how === 'git' ? 'git names it (--base)' : 'no history: every folder by digest'}`,
    `${seconds(anchorChange.seconds)} (${changedFlavors.length} docker build + push)`,
    seconds(change.seconds),
    ratio(anchorChange.seconds, change.seconds),
    '<= 1.5 s, ahead',
  ]);
}

/** `X.Y` -> `X.(Y+1)`, `X.Y.Z` -> `X.Y.(Z+1)`: the last number up by one. */
const bumpVersion = (version) => version.replace(/(\d+)$/, (last) => String(Number(last) + 1));
const ratio = (anchor, neuronsSeconds) => (anchor / neuronsSeconds).toFixed(1);

try {
  const generated = await generateFleet(corpus, fleet, {
    folders,
    minFlavors,
    nonce: stamp,
    requirements: ['cortexutils', 'requests'],
  });
  generatedFlavors = generated.flavors;
  // A repository, as CI checks it out: step c's changes are commits on it.
  await git(fleet, ['init', '-q', '-b', 'main']);
  await git(fleet, ['add', '-A']);
  await git(fleet, ['commit', '-q', '-m', 'Fleet generated from the Cortex-Analyzers corpus']);
  // The fleet's last folder also requires the heavy package (last: the extrapolation of b measures the first ones).
  const heavy = generated.workers.at(-1);
  const heavyRequirements = path.join(fleet, heavy.path, 'requirements.txt');
  await writeFile(heavyRequirements, `${await readFile(heavyRequirements, 'utf8')}${heavyHouse.requirement}\n`);
  const flavorCount = generated.flavors.length;
  log(
    `fleet: ${generated.workers.length} folders, ${flavorCount} flavors in ${fleet}; every folder requires cortexutils + requests`,
  );
  log(`${heavy.path} also requires ${heavyHouse.requirement} (${heavyLabel})`);
  log(`index: ${index.url} (../shared/wheelhouse); registry ${environment.registry}; base ${environment.pythonBase}`);
  const everyFlavorPushed = (result) =>
    result.flavors !== flavorCount || result.pushedFlavors !== flavorCount
      ? `${result.pushedFlavors} of ${flavorCount} flavors pushed`
      : undefined;
  const nothingPushed = (result) =>
    result.flavors !== flavorCount || result.pushes !== 0 || result.statuses.failed
      ? `expected ${flavorCount} flavors and no push`
      : undefined;

  // a. Cold, amd64.
  log(`a. cold fleet, ${amd64}: anchor (docker build + docker push per flavor) into ${namespaces.anchor}`);
  await quiet('anchor a');
  const anchor = await runAnchorWay({
    fleet,
    flavors: generated.flavors,
    registry: environment.registry,
    namespace: namespaces.anchor,
    baseImage: environment.pythonBase,
    indexUrl: index.urlWithCredentials,
    caFile: index.caFile,
    work: path.join(temp, 'anchor'),
    log: fileLog('anchor.log'),
  });
  log(
    `  anchor: ${seconds(anchor.seconds)} s (builds ${anchor.buildSeconds.toFixed(1)} s, pushes ${anchor.pushSeconds.toFixed(1)} s)`,
  );
  // Cold for neurons too: the engine as the anchor found it, without the anchor's fleet images.
  const anchorImages = await removeRepositories([`${environment.registry}/${namespaces.anchor}/*`]);
  log(
    `a. cold fleet, ${amd64}: neurons pipeline --platform ${amd64} into ${namespaces.amd64} (${anchorImages} anchor images removed from the engine first)`,
  );
  const cold = await neurons('a-cold', [amd64], namespaces.amd64, everyFlavorPushed);
  rows.push([
    'a. cold fleet, amd64',
    `${seconds(anchor.seconds)} (${flavorCount} docker build + push)`,
    seconds(cold.seconds),
    ratio(anchor.seconds, cold.seconds),
    '>= 5x',
  ]);

  // a, untested: the anchor's work alone (build and push, no smoke test), into a namespace of its own (its dependency
  // cache starts empty too): what the smoke tests cost is the difference.
  log(`a. cold fleet, ${amd64}, no smoke test: neurons pipeline --skip-tests into ${namespaces.untested}`);
  const untested = await neurons('a-cold-untested', [amd64], namespaces.untested, everyFlavorPushed, ['--skip-tests']);
  rows.push([
    'a. the same, without smoke tests (as the anchor)',
    `${seconds(anchor.seconds)} (${flavorCount} docker build + push)`,
    seconds(untested.seconds),
    ratio(anchor.seconds, untested.seconds),
    '',
  ]);

  // d. Nothing changed (amd64).
  log(`d. nothing changed, ${amd64}: neurons pipeline x ${noopRuns}`);
  const noops = [];
  for (let run = 0; run < noopRuns; run += 1)
    noops.push(await neurons(`d-noop-${run + 1}`, [amd64], namespaces.amd64, nothingPushed));
  const noop = summarize(noops);
  rows.push([
    `d. nothing changed, amd64 (min / median of ${noopRuns})`,
    `${seconds(anchor.seconds)} (rebuilds all)`,
    `${seconds(noop.min)} / ${seconds(noop.median)}`,
    ratio(anchor.seconds, noop.median),
    '<= 1 s',
  ]);

  // c. One worker's code changed; the fleet's images removed from the engine first (base images stay): a worker of
  // the fleet's requirements, then the worker that also requires the heavy package (the anchor installs it again).
  const middle = generated.workers[Math.floor(generated.workers.length / 2)];
  await changeOne(middle, 'c-change', 'c');
  await changeOne(heavy, 'c-heavy', `c, ${heavyLabel}`);
  await changeOne(middle, 'c-change-digest', 'c', 'digest');

  // b. Cold, amd64 + arm64: only when the base image is an index of both platforms.
  const certDir = await buildahCertDir(environment.caFile, path.join(temp, 'certs'));
  const basePlatforms = await registryPlatforms({
    image: environment.pythonBase,
    certDir,
    creds: environment.registryCredentials,
  });
  const usable = (platform) => basePlatforms.some((entry) => entry.platform === platform && entry.bytes > 1_000_000);
  const buildah = await runCommand(['buildah', '--version'], { allowFailure: true }).catch(() => undefined);
  if (!buildah || buildah.code !== 0) {
    log('b. skipped: buildah is not installed (apt-get install -y buildah), the anchor of b');
    rows.push(['b. cold fleet, amd64 + arm64', 'skipped (no buildah)', 'skipped', '', '>= 10x']);
  } else if (!usable(amd64) || !usable(arm64)) {
    const what =
      basePlatforms.length === 0
        ? 'a single manifest, not an index'
        : `an index of ${basePlatforms.map((entry) => `${entry.platform} (layers: ${entry.bytes} bytes)`).join(', ')}`;
    log(
      `b. skipped: the base image ${environment.pythonBase} is ${what}; both ways need it as an index of ${amd64} and ${arm64}, each with a root file system`,
    );
    rows.push(['b. cold fleet, amd64 + arm64', 'skipped', 'skipped', '', '>= 10x']);
  } else {
    await pullBase({
      baseImage: environment.pythonBase,
      platforms: [amd64, arm64],
      certDir,
      creds: environment.registryCredentials,
    });
    log(
      `b. cold fleet, ${amd64} + ${arm64}: buildah build --manifest + manifest push --all per flavor into ${namespaces.buildah} (budget ${buildahBudget} s)`,
    );
    await quiet('buildah b');
    const measured = [];
    const flavorTimes = { seconds: 0, buildSeconds: 0, pushSeconds: 0 };
    for (const flavor of generated.flavors) {
      if (flavorTimes.seconds > buildahBudget) break;
      const one = await runBuildahWay({
        fleet,
        flavors: [flavor],
        registry: environment.registry,
        namespace: namespaces.buildah,
        baseImage: environment.pythonBase,
        indexUrl: index.urlWithCredentials,
        indexCaFile: index.caFile,
        platforms: [amd64, arm64],
        certDir,
        creds: environment.registryCredentials,
        work: path.join(temp, 'buildah'),
        log: fileLog('buildah.log'),
      });
      measured.push({
        first: !measured.some((earlier) => earlier.worker === flavor.worker),
        worker: flavor.worker,
        seconds: one.seconds,
      });
      buildahReferences = [...buildahReferences, ...one.references];
      for (const key of Object.keys(flavorTimes)) flavorTimes[key] += one[key];
    }
    const whole = measured.length === flavorCount;
    // A folder's first flavor builds cold; the next ones mostly come from buildah's layer cache: extrapolated per kind
    // (the fleet has one first flavor per folder) when both were measured, else per flavor.
    const mean = (items) => items.reduce((sum, item) => sum + item.seconds, 0) / items.length;
    const firsts = measured.filter((item) => item.first);
    const nexts = measured.filter((item) => !item.first);
    const perKind = firsts.length > 0 && nexts.length > 0;
    const workerCount = generated.workers.length;
    const buildahSeconds = whole
      ? flavorTimes.seconds
      : perKind
        ? mean(firsts) * workerCount + mean(nexts) * (flavorCount - workerCount)
        : (flavorTimes.seconds / measured.length) * flavorCount;
    const how = whole
      ? `all ${flavorCount} flavors`
      : `EXTRAPOLATED: ${measured.length} of ${flavorCount} flavors (the first, in fleet order) measured in ${seconds(flavorTimes.seconds)} s; ` +
        (perKind
          ? `${firsts.length} first flavors of a folder (${seconds(mean(firsts))} s each) x ${workerCount} folders + ${nexts.length} others (${seconds(mean(nexts))} s each) x ${flavorCount - workerCount}`
          : `x ${flavorCount}/${measured.length}`);
    log(
      `  buildah: ${seconds(buildahSeconds)} s (${how}; builds ${flavorTimes.buildSeconds.toFixed(1)} s, pushes ${flavorTimes.pushSeconds.toFixed(1)} s)`,
    );
    // Cold: the engine without the fleet images the earlier steps left (buildah keeps its own store).
    const earlier = await removeRepositories([
      `${environment.registry}/${namespaces.anchor}/*`,
      `${environment.registry}/${namespaces.amd64}/*`,
    ]);
    log(
      `b. cold fleet, ${amd64} + ${arm64}: neurons pipeline into ${namespaces.both} (${earlier} fleet images removed from the engine first)`,
    );
    const both = await neurons('b-cold', [amd64, arm64], namespaces.both, everyFlavorPushed);
    rows.push([
      `b. cold fleet, amd64 + arm64${whole ? '' : ' (buildah extrapolated)'}`,
      `${seconds(buildahSeconds)} (${whole ? '' : '~'}${flavorCount} buildah build + push)`,
      seconds(both.seconds),
      ratio(buildahSeconds, both.seconds),
      '>= 10x',
    ]);
    log(
      `b. cold fleet, ${amd64} + ${arm64}, no smoke test: neurons pipeline --skip-tests into ${namespaces.untested2}`,
    );
    const bothUntested = await neurons('b-cold-untested', [amd64, arm64], namespaces.untested2, everyFlavorPushed, [
      '--skip-tests',
    ]);
    rows.push([
      'b. the same, without smoke tests (as buildah)',
      `${seconds(buildahSeconds)}`,
      seconds(bothUntested.seconds),
      ratio(buildahSeconds, bothUntested.seconds),
      '',
    ]);
    const noopBoth = await neurons('d-noop-both', [amd64, arm64], namespaces.both, nothingPushed);
    rows.push(['d. nothing changed, amd64 + arm64 (one run)', '', seconds(noopBoth.seconds), '', '<= 1 s']);
  }

  const table = [['measure', 'anchor (s)', 'neurons (s)', 'ratio', 'target'], ...rows];
  const widths = table[0].map((_, column) => Math.max(...table.map((row) => row[column].length)));
  console.log('');
  for (const row of table)
    console.log(
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
        .join('  '),
    );
} catch (error) {
  process.exitCode = 1;
  if (error instanceof CommandFailure) console.error(`failed: ${error.message}\n${error.tail()}`);
  else console.error(`failed: ${mask(error instanceof Error ? (error.stack ?? error.message) : String(error))}`);
} finally {
  await index.close();
  const removed = await removeRepositories([
    `${environment.registry}/${namespaces.anchor}/*`,
    `${environment.registry}/${namespaces.amd64}/*`,
    `${environment.registry}/${namespaces.both}/*`,
    `${environment.registry}/${namespaces.untested}/*`,
    `${environment.registry}/${namespaces.untested2}/*`,
  ]);
  if (buildahReferences.length > 0) await removeBuildahImages(buildahReferences);
  log(`clean-up: ${removed} local images removed; registry namespaces ${Object.values(namespaces).join(', ')} kept`);
  if (options.keep) log(`kept: ${temp}`);
  else await rm(temp, { recursive: true, force: true });
}
