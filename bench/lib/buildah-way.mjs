// The anchor's way for several platforms at once, as a multi-platform CI would do it without neurons: per flavor,
// `buildah build --platform a,b --manifest <ref>` of the anchor's Dockerfile (a foreign platform's RUN steps under
// QEMU), then `buildah manifest push --all`, one flavor after the other.
import { copyFile, mkdir } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { prepareFlavorInputs } from './anchor-way.mjs';
import { runCommand } from './run-command.mjs';

/**
 * A `--cert-dir` for buildah with the registry's CA only: the environment's CA folder also holds `ca.key`, which
 * buildah would take for half of a client certificate.
 */
export async function buildahCertDir(registryCaFile, directory) {
  await mkdir(directory, { recursive: true });
  await copyFile(registryCaFile, path.join(directory, 'ca.crt'));
  return directory;
}

/** Pulls the base image for each platform into buildah's storage (not timed: the engine already has it for the anchor). */
export async function pullBase({ baseImage, platforms, certDir, creds }) {
  for (const platform of platforms)
    await runCommand([
      'buildah',
      'pull',
      '--quiet',
      '--platform',
      platform,
      '--cert-dir',
      certDir,
      '--creds',
      creds,
      baseImage,
    ]);
}

/**
 * Builds and pushes every flavor in `flavors`, in sequence. Contexts as in the anchor's docker way (the folder plus
 * the index CA, the Dockerfile outside it); `--layers` keeps buildah's layer cache, so the flavors of one folder
 * reuse their `COPY` and `pip install` steps, as the docker way does with the engine's cache.
 */
export async function runBuildahWay({
  fleet,
  flavors,
  registry,
  namespace,
  baseImage,
  indexUrl,
  indexCaFile,
  platforms,
  certDir,
  creds,
  work,
  log,
}) {
  const references = [];
  let buildSeconds = 0;
  let pushSeconds = 0;
  const contexts = new Map();
  const started = performance.now();
  for (const [position, flavor] of flavors.entries()) {
    const { context, dockerfile } = await prepareFlavorInputs({
      fleet,
      flavor,
      baseImage,
      indexCaFile,
      work,
      contexts,
    });
    const reference = `${registry}/${namespace}/${flavor.name.toLowerCase()}:${flavor.version}`;
    const build = await runCommand([
      'buildah',
      'build',
      '--quiet',
      '--layers',
      '--network',
      'host',
      '--platform',
      platforms.join(','),
      '--manifest',
      reference,
      '--cert-dir',
      certDir,
      '--creds',
      creds,
      '--build-arg',
      `PIP_INDEX_URL=${indexUrl}`,
      '-f',
      dockerfile,
      context,
    ]);
    references.push(reference);
    const push = await runCommand([
      'buildah',
      'manifest',
      'push',
      '--quiet',
      '--all',
      '--cert-dir',
      certDir,
      '--creds',
      creds,
      reference,
      `docker://${reference}`,
    ]);
    buildSeconds += build.seconds;
    pushSeconds += push.seconds;
    await log(
      `buildah ${position + 1}/${flavors.length} ${flavor.file}: build ${build.seconds.toFixed(1)} s, push ${push.seconds.toFixed(1)} s`,
    );
  }
  return {
    references,
    builds: flavors.length,
    pushes: references.length,
    buildSeconds,
    pushSeconds,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Removes this run's manifest lists and images from buildah's storage (the base image stays). */
export async function removeBuildahImages(references) {
  for (const reference of references)
    await runCommand(['buildah', 'manifest', 'rm', reference], { allowFailure: true });
  await runCommand(['buildah', 'rmi', '--prune'], { allowFailure: true });
}

/**
 * The platforms `image` has in the registry, each with the size of its layers (`[{ platform: 'os/arch', bytes }]`,
 * from its index), or [] when it is one manifest: an image with no root file system (an empty layer) is no base.
 */
export async function registryPlatforms({ image, certDir, creds }) {
  const inspect = async (reference) =>
    JSON.parse(
      (
        await runCommand([
          'skopeo',
          'inspect',
          '--raw',
          '--cert-dir',
          certDir,
          '--creds',
          creds,
          `docker://${reference}`,
        ])
      ).stdout,
    );
  const index = await inspect(image);
  const repository = image.slice(0, image.lastIndexOf(':'));
  const platforms = [];
  for (const entry of index.manifests ?? []) {
    const manifest = await inspect(`${repository}@${entry.digest}`);
    platforms.push({
      platform: `${entry.platform?.os}/${entry.platform?.architecture}`,
      bytes: (manifest.layers ?? []).reduce((sum, layer) => sum + layer.size, 0),
    });
  }
  return platforms;
}
