import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { NeuronsError } from '../errors/neurons-error.js';

/** What a Go worker folder's build needs to know of its module. */
export interface GoModule {
  /** The module path (`module` line of go.mod). */
  path: string;
  /** Modules it requires (`require` lines and blocks), but those replaced by a folder inside the module. */
  requires: string[];
  /** A `vendor/` folder next to go.mod: the build reads dependencies from it alone (`-mod=vendor`). */
  vendored: boolean;
}

/** The module path and requirements of a go.mod text (comments dropped). */
export function parseGoMod(text: string): { path: string | undefined; requires: string[] } {
  const lines = text.split('\n').map((line) => line.replace(/\/\/.*$/, '').trim());
  const modulePath = lines.map((line) => /^module\s+"?([^\s"]+)"?/.exec(line)?.[1]).find(Boolean);
  const directives: Record<'require' | 'replace', string[]> = { require: [], replace: [] };
  let block: 'require' | 'replace' | undefined;
  for (const line of lines) {
    const opening = /^(require|replace)\s*\($/.exec(line);
    const single = /^(require|replace)\s+(\S.*)$/.exec(line);
    if (block) {
      if (line.startsWith(')')) block = undefined;
      else if (line) directives[block].push(line);
    } else if (opening) block = opening[1] as 'require' | 'replace';
    else if (single) directives[single[1] as 'require' | 'replace'].push(single[2] ?? '');
  }
  // A requirement replaced by a folder of the module itself (`=> ./lib`) needs no proxy: its code is in the context.
  const local = new Set(
    directives.replace.filter((spec) => /=>\s*\.\//.test(spec)).map((spec) => spec.split(/\s+/)[0]),
  );
  const requires = directives.require
    .map((spec) => spec.split(/\s+/)[0] ?? '')
    .filter((module) => module && !local.has(module));
  return { path: modulePath, requires };
}

/**
 * The module of a Go worker folder. Code from before modules (no go.mod) cannot be built reproducibly: refused here,
 * before anything is built, with the command that fixes it.
 */
export async function readGoModule(folder: string, workerPath: string): Promise<GoModule> {
  const file = path.join(folder, 'go.mod');
  if (!existsSync(file)) {
    throw new NeuronsError({
      code: 'RENDER_GO_NO_MODULE',
      file: workerPath,
      message: `${workerPath} is Go code without a go.mod: code from before Go modules is not built`,
      hint: `run \`go mod init <module path>\` in ${workerPath} (e.g. \`go mod init github.com/you/${path.basename(workerPath).toLowerCase()}\`), then \`go mod tidy\` and, to build without a module proxy, \`go mod vendor\`; commit the result`,
    });
  }
  const parsed = parseGoMod(await readFile(file, 'utf8'));
  return { path: parsed.path ?? '', requires: parsed.requires, vendored: existsSync(path.join(folder, 'vendor')) };
}

/**
 * The module proxy a build downloads from: none for a vendored module (built from vendor/ alone) or one that requires
 * nothing. A module that needs one when none is configured is refused before anything is built.
 */
export function moduleProxy(module: GoModule, goProxy: string | undefined, workerPath: string): string | undefined {
  if (module.vendored || module.requires.length === 0) return undefined;
  if (goProxy) return goProxy;
  const named = `${module.requires.slice(0, 3).join(', ')}${module.requires.length > 3 ? ', ...' : ''}`;
  throw new NeuronsError({
    code: 'RENDER_GO_NO_PROXY',
    file: `${workerPath}/go.mod`,
    message: `${workerPath} requires ${module.requires.length} module(s) (${named}), has no vendor/ folder, and no module proxy is configured`,
    hint: `run \`go mod vendor\` in ${workerPath} and commit vendor/ (built offline), or set goProxy in neurons.json or NEURONS_GOPROXY`,
  });
}
