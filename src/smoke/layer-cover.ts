import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerRun } from '../runner/run-container.js';
import { logTail } from '../runner/run-container.js';
import type { SmokeCase } from './run-smoke-job.js';
import { lastReport } from './python-imports.js';

/**
 * What one folder's smoke test on an emulated platform proved for the layers under its own: its base and dependency
 * layers (and the configuration around them) ran its jobs there, and every module of its dependency layer imports.
 */
export interface LayerCover {
  passed: boolean;
  flavorId: string;
}

/** The run's covers, by the emulated platform's layers under the worker's own (`coverKey`). */
export type LayerCovers = Map<string, Promise<LayerCover>>;

/**
 * What a cover stands for: the platform, every layer but the last (the worker's files: in an assembled image, the
 * same layer on every platform) and the configuration a job runs with.
 */
export function coverKey(image: {
  os: string;
  architecture: string;
  layers: string[];
  env: string[];
  user: string;
  workingDir: string;
}): string {
  return JSON.stringify([
    image.os,
    image.architecture,
    image.layers.slice(0, -1),
    image.env,
    image.user,
    image.workingDir,
  ]);
}

/** ELF's magic number: a program or shared library, built for one platform. */
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/**
 * Whether a folder holds native code (an ELF file: a program, a compiled extension): its files then behave by
 * platform, and no other folder's test on that platform stands for them.
 */
export async function holdsNativeCode(folder: string): Promise<boolean> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const handle = await open(path.join(entry.parentPath, entry.name), 'r').catch(() => undefined);
    if (!handle) continue;
    try {
      const head = Buffer.alloc(4);
      const { bytesRead } = await handle.read(head, 0, 4, 0);
      if (bytesRead === 4 && head.equals(ELF)) return true;
    } finally {
      await handle.close();
    }
  }
  return false;
}

/**
 * Run as `python3 -c DEPENDENCY_IMPORTS_SCRIPT` in the image: imports every public top-level module installed in
 * the interpreter's site directories (the dependency layer; or the folders given as arguments), each on its own, and
 * every compiled extension module in them (`*.so`: what behaves by platform, wherever a package keeps it). Prints one
 * JSON line of the names imported and the failures; exits 1 on any failure.
 */
export const DEPENDENCY_IMPORTS_SCRIPT = String.raw`
import importlib, importlib.machinery, json, os, pkgutil, site, sys

roots = sys.argv[1:] or [root for root in site.getsitepackages() if os.path.isdir(root)]
sys.path[:0] = [root for root in roots if root not in sys.path]
names = sorted({module.name for module in pkgutil.iter_modules(roots) if not module.name.startswith("_")})
compiled = set()
for root in roots:
    for folder, _, files in os.walk(root):
        for file in files:
            suffix = next((s for s in importlib.machinery.EXTENSION_SUFFIXES if file.endswith(s)), None)
            parts = os.path.relpath(os.path.join(folder, file[: -len(suffix)] if suffix else file), root).split(os.sep)
            if suffix and all(part.isidentifier() for part in parts):
                compiled.add(".".join(parts))
imported, failed = [], []
for name in names + sorted(compiled - set(names)):
    try:
        importlib.import_module(name)
        imported.append(name)
    except BaseException as error:
        failed.append("%s (%s: %s)" % (name, type(error).__name__, error))
print(json.dumps({"imported": imported, "failed": failed}))
sys.exit(1 if failed else 0)
`;

/** What the dependency imports said: every installed module imported, or which did not. */
export function judgeDependencyImports(run: ContainerRun | undefined): SmokeCase {
  const name = 'dependency imports';
  if (!run) return { name, passed: false, detail: 'did not run' };
  const report = lastReport(run.logs, ['imported', 'failed']);
  if (run.exitCode === 0 && report?.failed.length === 0)
    return { name, passed: true, detail: `every installed module imports: ${report.imported.join(', ') || '(none)'}` };
  if (report && report.failed.length > 0) return { name, passed: false, detail: `failed: ${report.failed.join('; ')}` };
  return { name, passed: false, detail: `exit code ${run.exitCode ?? '?'}${logTail(run.logs)}` };
}
