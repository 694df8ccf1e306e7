// The anchor's way (TheHive's Cortex-Analyzers CI): one image per flavor, each its own `docker build` of the
// worker folder then `docker push`, one after the other. The Dockerfile is the anchor's python one, pointed at
// the local base image and the local package index.
import { copyFile, cp, mkdir, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { runCommand } from './run-command.mjs';

const indexCaName = '.bench-index-ca.crt';

export function anchorDockerfile({ baseImage, directory, command }) {
  return `FROM ${baseImage}
WORKDIR /worker
COPY . ${directory}/
# The local index: its URL (with credentials) is a build argument, its CA came in with the folder copy.
ARG PIP_INDEX_URL
ARG PIP_CERT=/worker/${directory}/${indexCaName}
ARG PIP_DISABLE_PIP_VERSION_CHECK=1
RUN test ! -e ${directory}/requirements.txt || pip install --no-cache-dir --break-system-packages -r ${directory}/requirements.txt
ENTRYPOINT ${JSON.stringify(['python3', command])}
`;
}

/**
 * The build inputs of one flavor: its folder's context (copied once per folder into `contexts`: the worker folder
 * plus the index CA) and its Dockerfile, written outside the context so that the flavors of one folder send the
 * same context.
 */
export async function prepareFlavorInputs({ fleet, flavor, baseImage, indexCaFile, work, contexts }) {
  const { worker } = flavor;
  let context = contexts.get(worker.path);
  if (!context) {
    context = path.join(work, 'contexts', worker.path);
    await cp(path.join(fleet, worker.path), context, { recursive: true });
    await copyFile(indexCaFile, path.join(context, indexCaName));
    contexts.set(worker.path, context);
  }
  const dockerfile = path.join(work, 'dockerfiles', `${flavor.file}.Dockerfile`);
  await mkdir(path.dirname(dockerfile), { recursive: true });
  await writeFile(dockerfile, anchorDockerfile({ baseImage, directory: worker.directory, command: flavor.command }));
  return { context, dockerfile };
}

/**
 * Builds and pushes every flavor in sequence. The build context of a folder is a copy of the worker folder plus
 * the index CA; the Dockerfile stays outside it (`-f`), so the flavors of one folder send the same context and
 * the engine's layer cache can serve their `COPY` and `pip install` steps. Returns the references it tagged and
 * the time spent building and pushing.
 */
export async function runAnchorWay({ fleet, flavors, registry, namespace, baseImage, indexUrl, caFile, work, log }) {
  const env = { ...process.env, DOCKER_BUILDKIT: '0' };
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
      indexCaFile: caFile,
      work,
      contexts,
    });
    const reference = `${registry}/${namespace}/${flavor.name.toLowerCase()}:${flavor.version}`;
    const build = await runCommand(
      [
        'docker',
        'build',
        '--network',
        'host',
        '--build-arg',
        `PIP_INDEX_URL=${indexUrl}`,
        '-f',
        dockerfile,
        '-t',
        reference,
        context,
      ],
      { env },
    );
    references.push(reference);
    const push = await runCommand(['docker', 'push', reference], { env });
    buildSeconds += build.seconds;
    pushSeconds += push.seconds;
    await log(
      `anchor ${position + 1}/${flavors.length} ${flavor.file}: build ${build.seconds.toFixed(1)} s, push ${push.seconds.toFixed(1)} s`,
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
