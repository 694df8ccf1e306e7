#!/usr/bin/env node
// `npm test`: vitest, then what the run left behind removed. Every test and every process it starts gets a temporary
// folder of the run's own (TMPDIR), removed at the end; the images the tests put in the Docker engine are removed too:
// references to the registry namespaces the tests made (uniqueNamespace records them), to throw-away registries on
// loopback, and to images the engine built for the tests (neurons.local/…), with the untagged images the run made.
// What the engine held before the run, and the environment's base images, are kept. NEURONS_TEST_KEEP=1 keeps all.
// The run's cache (NEURONS_CACHE_DIR: the host's Python, resolutions, manifests by digest) is its own too: a test
// neither sees nor changes what the developer's runs keep, and every run starts as a fresh clone's CI does.
// Arguments go to vitest: `npm test -- --project fast`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// Built by `npm test` before this script runs: where `neurons env up` records the environment has one owner.
import { environmentDirectory, stateFile } from '../dist/state/environment-state.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.env.NEURONS_TEST_KEEP === '1';
const run = mkdtempSync(path.join(tmpdir(), 'neurons-test-'));
const temporary = path.join(run, 'tmp');
const namespaces = path.join(run, 'namespaces');
mkdirSync(temporary);
const before = engineImages();

const vitest = spawn(
  process.execPath,
  [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      TMPDIR: temporary,
      NEURONS_CACHE_DIR: path.join(run, 'cache'),
      NEURONS_TEST_NAMESPACES: namespaces,
    },
  },
);
// Ctrl-C reaches vitest through the terminal's process group: this process stays to clean up once vitest ends. A
// termination sent to this process alone is passed on.
process.on('SIGINT', () => undefined);
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => vitest.kill(signal));
const status = await new Promise((resolve) => vitest.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0))));

if (keep) {
  console.error(`test run: kept ${run} and the engine's images (NEURONS_TEST_KEEP=1)`);
} else {
  const removed = before ? removeRunImages(before) : 0;
  rmSync(run, { recursive: true, force: true, maxRetries: 3 });
  console.error(`test run: ${removed} image reference(s) the tests made removed from the engine; ${run} removed`);
}
process.exit(status);

/** The engine's images as `docker image ls` lists them, or undefined when no engine answers. */
function engineImages() {
  const listed = spawnSync(
    'docker',
    ['image', 'ls', '--all', '--digests', '--no-trunc', '--format', '{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (listed.status !== 0) return undefined;
  return listed.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [repository = '', tag = '', digest = '', id = ''] = line.split('\t');
      const reference =
        repository === '<none>'
          ? id
          : tag !== '<none>'
            ? `${repository}:${tag}`
            : digest !== '<none>'
              ? `${repository}@${digest}`
              : id;
      return { repository, reference, id };
    });
}

/** Removes the references the run made (see the top of this file); returns how many. */
function removeRunImages(before) {
  const after = engineImages();
  if (!after) return 0;
  const known = new Set(before.map((image) => image.reference));
  const made = new Set(existsSync(namespaces) ? readFileSync(namespaces, 'utf8').split('\n').filter(Boolean) : []);
  const environment = environmentHosts();
  const references = [];
  const untagged = [];
  for (const image of after) {
    if (known.has(image.reference)) continue;
    if (image.repository === '<none>') untagged.push(image.id);
    else if (fromRun(image.repository, made, environment)) references.push(image.reference);
  }
  // References first (an image goes with its last one), then the untagged images the run made that nothing holds.
  let removed = 0;
  for (const batch of [references, untagged]) {
    for (let start = 0; start < batch.length; start += 100) {
      const slice = batch.slice(start, start + 100);
      const result = spawnSync('docker', ['image', 'rm', ...slice], { encoding: 'utf8', timeout: 300_000 });
      removed += slice.length - (result.stderr.match(/^Error/gm)?.length ?? 0);
    }
  }
  return removed;
}

/** Whether a repository is one the run made: a namespace of its tests, a throw-away registry, an engine build. */
function fromRun(repository, made, environment) {
  if (repository.startsWith('neurons.local/')) return true;
  const match = /^(127\.0\.0\.1|localhost|\[::1\]):(\d+)\/([^/]+)\//.exec(repository);
  if (!match) return false;
  const [, host, port, namespace] = match;
  // A test's namespace, or a repository path it starts with one (`<namespace>-base/python`).
  if ([...made].some((name) => namespace === name || namespace.startsWith(`${name}-`))) return true;
  return !environment.has(`${host}:${port}`);
}

/** The registries `neurons env up` keeps (its registry and mirror): their base images stay between runs. */
function environmentHosts() {
  try {
    const state = JSON.parse(readFileSync(stateFile(environmentDirectory(process.env)), 'utf8'));
    return new Set([state.registry?.host, state.mirror?.host].filter(Boolean));
  } catch {
    return new Set();
  }
}
