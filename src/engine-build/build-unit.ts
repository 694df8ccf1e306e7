import type Docker from 'dockerode';
import path from 'node:path';
import type { BuildUnit } from '../plan/build-plan.js';
import type { RepositorySource } from '../render/source-info.js';
import {
  buildComponentsLabel,
  buildInputLabel,
  buildSettingsFingerprint,
  definitionLabels,
  flavorInputs,
  folderInputs,
  ownContent,
} from '../inputs/build-inputs.js';
import { folderEntries } from '../inputs/context.js';
import { buildImage, type RegistryAuth } from '../engine/docker-build.js';
import { createTar } from '../oci/tar.js';
import { assemblyMode } from '../assemble/assembly-mode.js';
import { flavorLabels } from '../assemble/flavor-config.js';
import { canonicalJson } from '../oci/canonical-json.js';
import { renderBuild, renderFlavor, workerSettings, type RenderSettings } from '../render/render-dockerfile.js';
import { formatPlatform, type Platform } from '../oci/platform.js';
import type { DependencyResolver, UnitDependencies } from '../assemble/resolve-dependencies.js';
import { NeuronsError } from '../errors/neurons-error.js';
import type { Problem } from '../errors/problem.js';

export interface BuildSettings extends RenderSettings {
  source: RepositorySource;
  /** Credentials per registry host, for the base images the engine pulls during builds. */
  registryAuth: RegistryAuth;
  /** What decides between assembling in the registry and building in the engine (see assemblyMode). */
  assembly: { offline: boolean; push: boolean; local?: boolean };
  /** Resolves the dependencies of assembled folders (a run with registry clients, not offline). */
  dependencies?: DependencyResolver;
}

export interface BuiltFlavor {
  id: string;
  imageId: string;
  buildInputDigest: string;
  /** Every `repository:tag` this flavor's image now carries locally. */
  references: string[];
}

/** Generated Dockerfiles sit in the context under this name (a worker folder is unlikely to have one). */
const generatedDockerfile = '.neurons/Dockerfile';

/** Everything needed to build one folder image, with its build-input digest: no engine involved. */
export async function prepareFolderBuild(repo: string, unit: BuildUnit, settings: BuildSettings) {
  const { worker } = unit;
  const rendered = await renderBuild(repo, worker, unit.requirements, settings);
  const custom = worker.runtime === 'custom';
  // Definitions stay out of generated images (the engine reads them from the catalog), so a change to one flavor's
  // definition rebuilds that flavor only; those of flavors left out for their errors too. A worker's own Dockerfile
  // gets its folder as it is.
  const definitions = new Set(custom ? [] : worker.definitionFiles.map((file) => path.posix.basename(file)));
  const entries = await folderEntries(path.join(repo, worker.path), rendered.contextPrefix, worker.path, {
    exclude: definitions,
  });
  if (!custom) entries.push({ name: '.neurons', type: 'directory', mode: 0o755 });
  for (const [name, data] of rendered.extraFiles) entries.push({ name, type: 'file', mode: 0o644, data });
  // The files, apart from the generated Dockerfile: that one is an input of its own (it names the base image).
  const files = createTar(entries);
  if (!custom)
    entries.push({ name: generatedDockerfile, type: 'file', mode: 0o644, data: Buffer.from(rendered.dockerfile) });
  const context = createTar(entries);
  const baseImages =
    worker.runtime === 'custom'
      ? Object.values(rendered.buildArgs)
      : [settings.baseImages[worker.runtime ?? 'python'] ?? ''];
  const assembly = assemblyMode(settings.config, worker, settings.templates, settings.assembly);
  // How and for which platforms the image is made is an input: the same files assembled for two platforms are
  // another image than built by the engine for one.
  const how = JSON.stringify({ assembly: assembly.mode, platforms: assembly.platforms.map(formatPlatform) });
  const dependencies =
    assembly.mode === 'registry'
      ? await resolveFolderDependencies(repo, unit, settings, assembly.platforms)
      : { resolved: undefined, problem: undefined };
  // An assembled image's base is the base's manifest of each of its platforms, not the index naming them all: a new
  // arm64 base leaves an amd64-only worker as it is. (Its Dockerfile is only a description then: without the pin.)
  const platformBases = dependencies.resolved?.platforms.map(
    ({ image }) => `${formatPlatform(image.platform)}@${image.manifestDigest}`,
  );
  const folder = folderInputs({
    templateId: rendered.templateId,
    dockerfile: platformBases ? rendered.dockerfile.replace(/^FROM \S+/gm, 'FROM <base>') : rendered.dockerfile,
    context: files,
    baseImages: platformBases ?? baseImages,
    settings: `${buildSettingsFingerprint(settings.config)}${how}`,
    ...(dependencies.resolved
      ? { dependencies: dependencies.resolved.summary }
      : dependencies.problem
        ? { dependencies: `unresolved: ${dependencies.problem.code}` }
        : {}),
  });
  const { digest } = folder;
  const folderTag = `neurons.local/${worker.kind}-${worker.directory.toLowerCase()}:${digest.slice('sha256:'.length, 'sha256:'.length + 16)}`;
  const flavors = await prepareFlavors(repo, unit, settings, { rendered, folder, folderTag });
  return {
    rendered,
    context,
    digest,
    folderTag,
    flavors,
    assembly,
    dependencies,
    dockerfileName: custom ? 'Dockerfile' : generatedDockerfile,
  };
}

/** Each flavor's Dockerfile on top of the folder image, and its build inputs: the folder's, its own files, its definition. */
async function prepareFlavors(
  repo: string,
  unit: BuildUnit,
  settings: BuildSettings,
  {
    rendered,
    folder,
    folderTag,
  }: {
    rendered: Awaited<ReturnType<typeof renderBuild>>;
    folder: ReturnType<typeof folderInputs>;
    folderTag: string;
  },
) {
  const { worker } = unit;
  // The worker's own files as the repository has them, whichever way the image is made: under no prefix, without the
  // definitions (each flavor's is its own) and without what we generate (trust certificates, the job adapter).
  const workerFiles = createTar(
    await folderEntries(path.join(repo, worker.path), '', worker.path, {
      exclude: new Set(worker.flavors.map((flavor) => path.posix.basename(flavor.file))),
    }),
  );
  const ownSettings = canonicalJson(workerSettings(settings.config, worker)).toString();
  return unit.flavors.map(({ flavor, targets }) => {
    const dockerfile = renderFlavor(settings.templates, {
      folderImage: folderTag,
      worker,
      flavor,
      source: settings.source.folder(worker.path),
      templateId: rendered.templateId,
      stdio: rendered.speaksStdio,
    });
    const own = ownContent({ files: workerFiles, definition: canonicalJson(flavor.definition), settings: ownSettings });
    const inputs = {
      ...flavorInputs(folder, dockerfile, own),
      labelledDefinition: definitionLabels(
        flavorLabels(worker, flavor, settings.source.folder(worker.path), rendered.templateId),
      ),
    };
    return { flavor, targets, dockerfile, inputs };
  });
}

/**
 * The exact dependencies of an assembled folder on each platform, resolved before anything is decided (they are
 * build inputs). A folder whose dependencies cannot be resolved (a requirement no index has) fails alone, with the
 * problem, when it is built: the other folders go on.
 */
async function resolveFolderDependencies(
  repo: string,
  unit: BuildUnit,
  settings: BuildSettings,
  platforms: Platform[],
): Promise<{ resolved: UnitDependencies | undefined; problem: Problem | undefined }> {
  if (!settings.dependencies) return { resolved: undefined, problem: undefined };
  const runtime = unit.worker.runtime === 'node' ? 'node' : 'python';
  try {
    return {
      resolved: await settings.dependencies.resolve(
        repo,
        unit.worker,
        unit.requirements,
        settings.baseImages[runtime] ?? '',
        platforms,
      ),
      problem: undefined,
    };
  } catch (error) {
    if (!(error instanceof NeuronsError)) throw error;
    return { resolved: undefined, problem: { file: unit.worker.path, ...error.problem } };
  }
}

/**
 * Builds one folder image, then one thin image per flavor on top of it (its entry point and labels), and tags
 * each flavor image with all its targets. The folder is built once however many flavors it has.
 */
export type PreparedFolderBuild = Awaited<ReturnType<typeof prepareFolderBuild>>;

/** Identifies a build unit across plans made from the same discovery: its folder and requirements file. */
export function unitKey(unit: BuildUnit): string {
  return `${unit.worker.path}\0${unit.requirements ?? ''}`;
}

export async function buildUnit(
  docker: Docker,
  unit: BuildUnit,
  prepared: PreparedFolderBuild,
  settings: BuildSettings,
  /** The flavors to build (the others are already in the registry). */
  wanted: Set<string>,
  log: (line: string) => void,
): Promise<BuiltFlavor[]> {
  const started = Date.now();
  await buildImage(docker, prepared.context, {
    tag: prepared.folderTag,
    dockerfile: prepared.dockerfileName,
    buildArgs: { ...prepared.rendered.buildArgs, ...prepared.rendered.secretBuildArgs },
    labels: { [buildInputLabel]: prepared.digest },
    registryAuth: settings.registryAuth,
    file: unit.worker.path,
  });
  log(
    `built ${unit.worker.path}${unit.requirements ? ` (${unit.requirements})` : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );

  const built: BuiltFlavor[] = [];
  for (const { flavor, targets, dockerfile, inputs } of prepared.flavors.filter((item) => wanted.has(item.flavor.id))) {
    const [first, ...rest] = targets.flatMap((target) =>
      target.tags.map((tag) => ({ repository: target.repository, tag })),
    );
    if (!first) continue;
    const flavorContext = createTar([{ name: 'Dockerfile', type: 'file', mode: 0o644, data: Buffer.from(dockerfile) }]);
    const image = await buildImage(docker, flavorContext, {
      tag: `${first.repository}:${first.tag}`,
      dockerfile: 'Dockerfile',
      buildArgs: {},
      labels: { [buildInputLabel]: inputs.digest, [buildComponentsLabel]: JSON.stringify(inputs.components) },
      registryAuth: {},
      file: flavor.file,
    });
    for (const reference of rest)
      await docker.getImage(image.imageId).tag({ repo: reference.repository, tag: reference.tag });
    built.push({
      id: flavor.id,
      imageId: image.imageId,
      buildInputDigest: inputs.digest,
      references: [first, ...rest].map((reference) => `${reference.repository}:${reference.tag}`),
    });
  }
  return built;
}
