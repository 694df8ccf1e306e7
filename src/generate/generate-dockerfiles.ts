import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { prepareFolderBuild, type BuildSettings } from '../engine-build/build-unit.js';
import type { BuildPlan } from '../plan/build-plan.js';
import type { GoProtocolDecision } from '../render/go-protocol.js';

export interface RenderedDockerfiles {
  /** Every generated Dockerfile, keyed by its path under the output folder. */
  files: Map<string, string>;
  /** Per Go worker folder (`<kind>s/<Dir>`): the protocol it speaks and why (it decides whether the job adapter wraps it). */
  goProtocols: Map<string, GoProtocolDecision>;
}

/**
 * Every generated Dockerfile of a plan, keyed by its path under the output folder:
 * `<kind>s/<Dir>/Dockerfile` for the folder image (`Dockerfile.<requirements>` for a second requirements file),
 * and `<kind>s/<Dir>/<Flavor>.Dockerfile` for each flavor image. A worker's own Dockerfile is not copied.
 */
export async function renderDockerfiles(
  repo: string,
  plan: BuildPlan,
  settings: BuildSettings,
): Promise<RenderedDockerfiles> {
  const files = new Map<string, string>();
  const goProtocols = new Map<string, GoProtocolDecision>();
  for (const unit of plan.units) {
    const prepared = await prepareFolderBuild(repo, unit, settings);
    const folder = `${unit.worker.kind}s/${unit.worker.directory}`;
    if (prepared.rendered.goProtocol) goProtocols.set(folder, prepared.rendered.goProtocol);
    if (unit.worker.runtime !== 'custom') {
      const suffix =
        unit.requirements && unit.requirements !== 'requirements.txt'
          ? `.${unit.requirements.replace(/\.txt$/, '').replaceAll('/', '_')}`
          : '';
      files.set(`${folder}/Dockerfile${suffix}`, prepared.rendered.dockerfile);
    }
    for (const { flavor, dockerfile } of prepared.flavors)
      files.set(`${folder}/${path.posix.basename(flavor.file, '.json')}.Dockerfile`, dockerfile);
  }
  return {
    files: new Map([...files].sort(([a], [b]) => a.localeCompare(b))),
    goProtocols: new Map([...goProtocols].sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** One line per Go worker: its protocol, whether the job adapter wraps it, and the evidence. */
export function describeGoProtocols(goProtocols: Map<string, GoProtocolDecision>): string[] {
  return [...goProtocols].map(([folder, decision]) => {
    const how = decision.protocol === 'stdio' ? 'stdin/stdout, run through the job adapter' : 'job folder, run as is';
    return `${folder}: ${decision.protocol} (${how}): ${decision.reasons.join('; ')}`;
  });
}

export interface StaleReport {
  changed: string[];
  missing: string[];
  extra: string[];
}

async function listFiles(root: string, relative = ''): Promise<string[]> {
  if (!existsSync(path.join(root, relative))) return [];
  const files: string[] = [];
  for (const entry of await readdir(path.join(root, relative), { withFileTypes: true })) {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(root, child)));
    else files.push(child);
  }
  return files;
}

/** Compares rendered files with what is in `out` (for repositories that commit generated Dockerfiles). */
export async function compareDockerfiles(
  out: string,
  files: Map<string, string>,
  scope: string[] | undefined,
): Promise<StaleReport> {
  const report: StaleReport = { changed: [], missing: [], extra: [] };
  for (const [relative, content] of files) {
    const target = path.join(out, relative);
    if (!existsSync(target)) report.missing.push(relative);
    else if ((await readFile(target, 'utf8')) !== content) report.changed.push(relative);
  }
  // Files of folders outside the run's scope (--only) are not judged.
  const inScope = (relative: string): boolean => !scope || scope.some((folder) => relative.startsWith(`${folder}/`));
  for (const relative of await listFiles(out))
    if (!files.has(relative) && inScope(relative)) report.extra.push(relative);
  return report;
}

export async function writeDockerfiles(out: string, files: Map<string, string>): Promise<void> {
  for (const [relative, content] of files) {
    await mkdir(path.dirname(path.join(out, relative)), { recursive: true });
    await writeFile(path.join(out, relative), content);
  }
}
