import type Docker from 'dockerode';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config/load-config.js';
import type { BuildUnit } from '../plan/build-plan.js';
import { flavorEntrypoint, goSpeaksStdio, renderBuild } from '../render/render-dockerfile.js';
import { renderTemplate } from '../render/templates.js';
import { folderEntries } from './context.js';
import { buildImage } from './docker-build.js';
import { createTar } from './tar.js';

export interface BuiltFlavor {
  id: string;
  imageId: string;
  /** Every `repository:tag` this flavor's image now carries locally. */
  references: string[];
}

/** Generated Dockerfiles sit in the context under this name (a worker folder is unlikely to have one). */
const generatedDockerfile = '.neurons/Dockerfile';

/**
 * Builds one folder image, then one thin image per flavor on top of it (its entry point and labels), and tags
 * each flavor image with all its targets. The folder is built once however many flavors it has.
 */
export async function buildUnit(docker: Docker, repo: string, unit: BuildUnit, config: Config, log: (line: string) => void): Promise<BuiltFlavor[]> {
  const { worker } = unit;
  const folder = path.join(repo, worker.path);
  const rendered = await renderBuild(repo, worker, unit.requirements, config, `${worker.path}`);
  const entries = await folderEntries(folder, rendered.contextPrefix, worker.path);
  const custom = worker.runtime === 'custom';
  if (!custom) {
    entries.push({ name: '.neurons', type: 'directory', mode: 0o755 });
    entries.push({ name: generatedDockerfile, type: 'file', mode: 0o644, data: Buffer.from(rendered.dockerfile) });
  }
  for (const [name, data] of rendered.extraFiles) entries.push({ name, type: 'file', mode: 0o644, data });
  const context = createTar(entries);
  const contextDigest = createHash('sha256').update(context).update(JSON.stringify(rendered.buildArgs)).digest('hex').slice(0, 16);
  const folderTag = `neurons.local/${worker.kind}-${worker.directory.toLowerCase()}:${contextDigest}`;
  const started = Date.now();
  const folderImage = await buildImage(docker, context, {
    tag: folderTag,
    dockerfile: custom ? 'Dockerfile' : generatedDockerfile,
    buildArgs: { ...rendered.buildArgs, ...rendered.secretBuildArgs },
    file: worker.path,
  });
  log(`built ${worker.path}${unit.requirements ? ` (${unit.requirements})` : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const stdio = worker.runtime === 'go' ? await goSpeaksStdio(folder) : false;
  const built: BuiltFlavor[] = [];
  for (const { flavor, targets } of unit.flavors) {
    const definition = flavor.definition;
    const dockerfile = renderTemplate('flavor', {
      folderImage: folderTag,
      name: definition.name,
      version: definition.version,
      description: definition.description,
      license: definition.license,
      id: flavor.id,
      kind: worker.kind,
      entrypoint: flavorEntrypoint(worker.runtime, flavor, stdio),
    });
    const [first, ...rest] = targets.flatMap((target) => target.tags.map((tag) => ({ repository: target.repository, tag })));
    if (!first) continue;
    const flavorContext = createTar([{ name: 'Dockerfile', type: 'file', mode: 0o644, data: Buffer.from(dockerfile) }]);
    const image = await buildImage(docker, flavorContext, { tag: `${first.repository}:${first.tag}`, dockerfile: 'Dockerfile', buildArgs: {}, file: flavor.file });
    for (const reference of rest) await docker.getImage(image.imageId).tag({ repo: reference.repository, tag: reference.tag });
    built.push({ id: flavor.id, imageId: image.imageId, references: [first, ...rest].map((reference) => `${reference.repository}:${reference.tag}`) });
  }
  return built;
}
