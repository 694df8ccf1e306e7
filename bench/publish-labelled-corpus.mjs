// Publishes the 431 corpus flavors into a registry namespace as small images that carry the labels neurons puts on
// a flavor image (worker id, kind, version), under the tags the catalogs name (`X.Y` and `X`), without Docker: one
// shared layer, one configuration per flavor, a Docker v2 schema 2 manifest as `docker push` writes. Seconds instead
// of the minutes (and both cores) detect-fleet.mjs spends building real images: enough for catalog-corpus.mjs, which
// reads manifests and configurations only.
// Build first: npx tsc -p tsconfig.json && node bench/publish-labelled-corpus.mjs [--namespace NS] [corpus-dir]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { catalogWorkers } from '../dist/catalog/catalog-workers.js';
import { discoverRepository } from '../dist/definitions/discover.js';
import { environmentDirectory, readEnvironmentState } from '../dist/state/environment-state.js';
import { pushBlob } from '../dist/registry/artifact.js';
import { digestOf, RegistryClient } from '../dist/registry/client.js';
import { createTar } from '../dist/oci/tar.js';
import { tagsForVersion } from '../dist/images/tags.js';
import { createLimiter } from '../dist/util/limit.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { namespace: { type: 'string' } } });
const corpus = positionals[0] ?? fileURLToPath(new URL('../../shared/corpus/cortex-analyzers', import.meta.url));
const namespace = values.namespace ?? `bench-labels-${Date.now().toString(36)}`;
const state = await readEnvironmentState(environmentDirectory(process.env));
if (!state) throw new Error('no local environment: run `neurons env up`');
const workers = catalogWorkers(await discoverRepository(corpus, { definitionsOnly: true }));

const layerTar = createTar([
  { name: 'worker/README', type: 'file', mode: 0o644, data: Buffer.from('labelled corpus image\n') },
]);
const layer = gzipSync(layerTar);
const diffId = digestOf(layerTar);

async function publish(host) {
  const client = new RegistryClient({
    host,
    ca: [readFileSync(state.caFile, 'utf8')],
    credentials: { username: state.registry.username, password: state.registry.password },
  });
  const limit = createLimiter(8);
  const started = performance.now();
  let tags = 0;
  await Promise.all(
    workers.flatMap((worker) =>
      worker.flavors.map((flavor) =>
        limit(async () => {
          const { name, version } = flavor.definition;
          const repository = `${namespace}/${name.toLowerCase()}`;
          const labels = {
            'org.opencontainers.image.title': name,
            'org.opencontainers.image.version': version,
            'io.neurons.worker-id': flavor.id,
            'io.neurons.worker-kind': worker.kind,
            'io.neurons.template': 'python/3',
          };
          const config = Buffer.from(
            JSON.stringify({
              architecture: 'amd64',
              os: 'linux',
              config: {
                Labels: labels,
                Entrypoint: ['python3', String(flavor.definition.command ?? '')],
                Env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
              },
              rootfs: { type: 'layers', diff_ids: [diffId] },
              history: [{ created_by: 'neurons bench' }],
            }),
          );
          const configDescriptor = await pushBlob(
            client,
            repository,
            config,
            'application/vnd.docker.container.image.v1+json',
          );
          const layerDescriptor = await pushBlob(
            client,
            repository,
            layer,
            'application/vnd.docker.image.rootfs.diff.tar.gzip',
          );
          const manifest = Buffer.from(
            JSON.stringify({
              schemaVersion: 2,
              mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
              config: configDescriptor,
              layers: [layerDescriptor],
            }),
          );
          for (const tag of tagsForVersion(version, 'stable')) {
            const path = `/v2/${repository}/manifests/${tag}`;
            const response = await client.call(
              'PUT',
              path,
              `repository:${repository}:pull,push`,
              { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' },
              manifest,
            );
            if (response.statusCode !== 201) throw client.failure(response, path);
            tags += 1;
          }
        }),
      ),
    ),
  );
  await client.close();
  console.log(`${host}/${namespace}: ${tags} tags in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

for (const host of [state.registry.host, ...(state.mirror ? [state.mirror.host] : [])]) await publish(host);
console.log(`NEURONS_NAMESPACE=${namespace}`);
