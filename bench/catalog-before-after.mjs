// The catalog stage of this build against an older build, alternating runs in one process, so that both meet the
// same machine: on a shared machine the load moves between one script and the next more than the two differ.
// Each round: the older build (a fresh folder), this build cold (a fresh folder: every image's labels read), this
// build warm (the folder of its last publication: digests its index verified are not read again).
// Build first (both), then:
//   NEURONS_NAMESPACE=bench-labels-XXXX node bench/catalog-before-after.mjs OLD_ROOT [registry|mirror] [rounds]
// OLD_ROOT is a checkout of the older revision with its dist/ built (e.g. git worktree add, npm ci, npx tsc).
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [oldRoot, which = 'registry', roundsText = '7'] = process.argv.slice(2);
if (!oldRoot) {
  console.error('usage: node bench/catalog-before-after.mjs OLD_ROOT [registry|mirror] [rounds]');
  process.exit(2);
}
const corpus = fileURLToPath(new URL('../../shared/corpus/cortex-analyzers', import.meta.url));
const load = async (root) => ({
  catalogWorkers: (await import(path.join(root, 'dist/catalog/catalog-workers.js'))).catalogWorkers,
  produceCatalogs: (await import(path.join(root, 'dist/catalog/produce-catalogs.js'))).produceCatalogs,
  discoverRepository: (await import(path.join(root, 'dist/definitions/discover.js'))).discoverRepository,
  folderTarget: (await import(path.join(root, 'dist/publish/targets.js'))).folderTarget,
  RegistryClient: (await import(path.join(root, 'dist/registry/client.js'))).RegistryClient,
});
const builds = {
  before: await load(path.resolve(oldRoot)),
  after: await load(fileURLToPath(new URL('..', import.meta.url))),
};
const { environmentDirectory, readEnvironmentState } = await import('../dist/state/environment-state.js');
const state = await readEnvironmentState(environmentDirectory(process.env));
if (!state) throw new Error('no local environment: run `neurons env up`');
const host = which === 'mirror' ? state.mirror?.host : state.registry.host;
const namespace = process.env.NEURONS_NAMESPACE ?? 'neurons';
const ca = [readFileSync(state.caFile, 'utf8')];
const credentials = { username: state.registry.username, password: state.registry.password };

const run = async (build, out) => {
  build.workers ??= build.catalogWorkers(await build.discoverRepository(corpus, { definitionsOnly: true }));
  build.client ??= new build.RegistryClient({ host, ca, credentials });
  const options = {
    workers: build.workers,
    registry: { host, namespace },
    client: build.client,
    channel: 'stable',
    signingKey: undefined,
    allowUnsigned: false,
    expiresInDays: 30,
    buildInputDigests: new Map(),
    revisions: new Map(),
    pushed: [],
    now: new Date(),
  };
  return build.produceCatalogs({
    ...options,
    targets: [build.folderTarget(out ?? (await mkdtemp(path.join(tmpdir(), 'neurons-bench-catalog-'))))],
  });
};
const warm = await mkdtemp(path.join(tmpdir(), 'neurons-bench-catalog-'));
// Untimed: each build's client gets its tokens and connections, and the warm folder its first publication.
await run(builds.before);
await run(builds.after, warm);
const times = { before: [], 'after, cold': [], 'after, previous index verified': [] };
const timed = async (key, work) => {
  const started = performance.now();
  await work();
  times[key].push(performance.now() - started);
};
for (let round = 0; round < Number(roundsText); round += 1) {
  await timed('before', () => run(builds.before));
  await timed('after, cold', () => run(builds.after));
  await timed('after, previous index verified', () => run(builds.after, warm));
}
console.log(
  `${host}/${namespace}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
);
for (const [key, values] of Object.entries(times)) {
  values.sort((a, b) => a - b);
  console.log(
    `${key}: median ${values[Math.floor(values.length / 2)].toFixed(0)} ms, min ${values[0].toFixed(0)} ms, max ${values.at(-1).toFixed(0)} ms over ${values.length}`,
  );
}
await Promise.all(Object.values(builds).map((build) => build.client?.close()));
