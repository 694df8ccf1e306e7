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
