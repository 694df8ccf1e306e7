// Time to produce the six engine catalogs, the index and the page for the 431-flavor corpus, in-process:
// without verification (target: under 200 ms) and verified against the local registry (target: under 2 s).
// NEURONS_NAMESPACE names a namespace the corpus images were published in (bench/publish-labelled-corpus.mjs publishes
// one in seconds, bench/detect-fleet.mjs one of real builds).
// Build first: npx tsc -p tsconfig.json && node bench/catalog-corpus.mjs [corpus-dir]
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { catalogWorkers } from '../dist/catalog/catalog-workers.js';
import { produceCatalogs } from '../dist/catalog/produce-catalogs.js';
import { discoverRepository } from '../dist/definitions/discover.js';
import { environmentDirectory, readEnvironmentState } from '../dist/state/environment-state.js';
import { folderTarget } from '../dist/publish/targets.js';
import { RegistryClient } from '../dist/registry/client.js';

const corpus = process.argv[2] ?? fileURLToPath(new URL('../../shared/corpus/cortex-analyzers', import.meta.url));
if (!existsSync(corpus)) {
  console.log(`skipped: no corpus at ${corpus}`);
  process.exit(0);
}
const discovery = await discoverRepository(corpus, { definitionsOnly: true });
const workers = catalogWorkers(discovery);
const flavors = workers.reduce((sum, worker) => sum + worker.flavors.length, 0);

/**
 * `runs` timed runs of the catalog stage. Cold: a fresh folder each time, so no previous index and every image's
 * labels read. Warm: the folder of the last publication, whose index marks the digests it verified: as a CI run
 * after the first, only the tags are read.
 */
async function measure(label, registry, client, runs, warm = false) {
  const times = [];
  const produce = (out) =>
    produceCatalogs({
      workers,
      registry,
      client,
      channel: 'stable',
      targets: [folderTarget(out)],
      signingKey: undefined,
      allowUnsigned: false,
      expiresInDays: 30,
      buildInputDigests: new Map(),
      revisions: new Map(),
      pushed: [],
      now: new Date(),
    });
  const published = await mkdtemp(path.join(tmpdir(), 'neurons-bench-catalog-'));
  if (warm) await produce(published);
  for (let run = 0; run < runs; run += 1) {
    const out = warm ? published : await mkdtemp(path.join(tmpdir(), 'neurons-bench-catalog-'));
    const started = performance.now();
    const result = await produce(out);
    times.push(performance.now() - started);
    const { manifests, labelled, known } = result.reads;
    if (run === 0)
      console.log(
        `${label}: ${Object.entries(result.index.catalogs)
          .map(([file, { entries }]) => `${file} ${entries}`)
          .join(
            ', ',
          )}; ${result.missing.length} missing; ${manifests} references read, labels of ${labelled} images read, ${known} known`,
      );
  }
  times.sort((a, b) => a - b);
  console.log(
    `${label}: median ${times[Math.floor(times.length / 2)].toFixed(0)} ms, min ${times[0].toFixed(0)} ms over ${runs} runs`,
  );
}

console.log(`corpus: ${corpus} (${flavors} flavors in ${workers.length} folders)`);
await measure('no verification', { host: 'ghcr.io', namespace: 'thehive-project' }, undefined, 10);
const state = await readEnvironmentState(environmentDirectory(process.env));
if (!state) {
  console.log('verified: skipped (no local environment: run `neurons env up`)');
} else {
  // Every entry is checked against the local registries (its manifest per tag, its labels per image); a missing image
  // or one labelled as another version is left out.
  // The primary authenticates with tokens (as public registries do), the mirror with htpasswd (bcrypt per request).
  const namespace = process.env.NEURONS_NAMESPACE ?? 'neurons';
  const registries = [
    ['verified against the local registry (token auth)', state.registry.host],
    ...(state.mirror ? [['verified against the local mirror (htpasswd auth)', state.mirror.host]] : []),
  ];
  for (const [label, host] of registries) {
    const client = new RegistryClient({
      host,
      ca: [readFileSync(state.caFile, 'utf8')],
      credentials: { username: state.registry.username, password: state.registry.password },
    });
    await measure(`${label}, namespace ${namespace}`, { host, namespace }, client, 3);
    await measure(`${label}, namespace ${namespace}, previous index verified`, { host, namespace }, client, 3, true);
    await client.close();
  }
}
