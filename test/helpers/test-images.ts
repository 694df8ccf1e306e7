import type Docker from 'dockerode';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildImage } from '../../src/engine/docker-build.js';
import { createTar } from '../../src/oci/tar.js';

/** Writes each file (path relative to `root`, folders made as needed). */
export async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), content);
  }
}

/**
 * Builds `tag` with the engine from a Dockerfile and the worker's files, put under `worker/` in the context (the
 * Dockerfile copies them where it wants). `file` is the repository path build errors name.
 */
export async function buildWorkerImage(
  docker: Docker,
  tag: string,
  build: { dockerfile: string; files: Record<string, string>; file: string },
): Promise<void> {
  const entries = Object.entries({
    Dockerfile: build.dockerfile,
    ...Object.fromEntries(Object.entries(build.files).map(([name, content]) => [`worker/${name}`, content])),
  });
  const context = createTar(
    entries.map(([name, content]) => ({ name, type: 'file' as const, mode: 0o644, data: Buffer.from(content) })),
  );
  await buildImage(docker, context, {
    tag,
    dockerfile: 'Dockerfile',
    buildArgs: {},
    labels: {},
    registryAuth: {},
    file: build.file,
  });
}

/** The engine's answer to a removal that found nothing left to remove, or a reference a running container holds. */
function isGone(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  return status === 404 || status === 409;
}

/**
 * Removes every tag and digest reference of the engine's images that `matches` selects; an image goes with its last
 * reference. Never by image ID: reproducible images published under two namespaces share one ID, and removing it by
 * ID would take the other namespace's image from under a test file running beside this one.
 */
export async function removeReferences(docker: Docker, matches: (reference: string) => boolean): Promise<void> {
  for (const image of await docker.listImages({ digests: true })) {
    for (const reference of [...(image.RepoTags ?? []), ...(image.RepoDigests ?? [])].filter(matches)) {
      await docker
        .getImage(reference)
        .remove({ force: true })
        .catch((error: unknown) => {
          if (!isGone(error)) throw error;
        });
    }
  }
}

/** Selects the references of a test's namespace in the registry (`host/<namespace>/name…`). */
export function inNamespace(...namespaces: string[]): (reference: string) => boolean {
  const names = namespaces.filter((namespace) => namespace !== '');
  return (reference) => names.some((namespace) => reference.includes(`/${namespace}/`));
}
