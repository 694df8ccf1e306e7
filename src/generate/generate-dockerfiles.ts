import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { prepareFolderBuild, type BuildSettings } from '../build/build-unit.js';
import type { BuildPlan } from '../plan/build-plan.js';

/**
 * Every generated Dockerfile of a plan, keyed by its path under the output folder:
 * `<kind>s/<Dir>/Dockerfile` for the folder image (`Dockerfile.<requirements>` for a second requirements file),
 * and `<kind>s/<Dir>/<Flavor>.Dockerfile` for each flavor image. A worker's own Dockerfile is not copied.
 */
export async function renderDockerfiles(repo: string, plan: BuildPlan, settings: BuildSettings): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const unit of plan.units) {
    const prepared = await prepareFolderBuild(repo, unit, settings);
    const folder = `${unit.worker.kind}s/${unit.worker.directory}`;
    if (unit.worker.runtime !== 'custom') {
      const suffix = unit.requirements && unit.requirements !== 'requirements.txt' ? `.${unit.requirements.replace(/\.txt$/, '').replaceAll('/', '_')}` : '';
      files.set(`${folder}/Dockerfile${suffix}`, prepared.rendered.dockerfile);
    }
    for (const { flavor, dockerfile } of prepared.flavors) files.set(`${folder}/${path.posix.basename(flavor.file, '.json')}.Dockerfile`, dockerfile);
  }
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
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
export async function compareDockerfiles(out: string, files: Map<string, string>, scope: string[] | undefined): Promise<StaleReport> {
  const report: StaleReport = { changed: [], missing: [], extra: [] };
  for (const [relative, content] of files) {
    const target = path.join(out, relative);
    if (!existsSync(target)) report.missing.push(relative);
    else if ((await readFile(target, 'utf8')) !== content) report.changed.push(relative);
  }
  // Files of folders outside the run's scope (--only) are not judged.
  const inScope = (relative: string): boolean => !scope || scope.some((folder) => relative.startsWith(`${folder}/`));
  for (const relative of await listFiles(out)) if (!files.has(relative) && inScope(relative)) report.extra.push(relative);
  return report;
}

export async function writeDockerfiles(out: string, files: Map<string, string>): Promise<void> {
  for (const [relative, content] of files) {
    await mkdir(path.dirname(path.join(out, relative)), { recursive: true });
    await writeFile(path.join(out, relative), content);
  }
}
