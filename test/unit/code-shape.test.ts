import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers/environment.js';
import { allowedImports, layerOf, layers } from './code-shape.layers.js';

/** Every file under `folder` (relative to the repository root) whose name ends with one of `endings`. */
function filesUnder(folder: string, endings: string[]): string[] {
  const found: string[] = [];
  const walk = (directory: string): void => {
    for (const entry of readdirSync(path.join(root, directory), { withFileTypes: true })) {
      const relative = path.posix.join(directory, entry.name);
      if (entry.isDirectory()) walk(relative);
      else if (endings.some((ending) => entry.name.endsWith(ending))) found.push(relative);
    }
  };
  walk(folder);
  return found.sort();
}

const sources = filesUnder('src', ['.ts']);

/** `src/<folder>/...` -> `<folder>`; a file at the top of `src/` is its own unit (`pipeline`, `index`). */
function unitOf(file: string): string {
  const parts = path.posix.relative('src', file).split('/');
  return parts.length > 1 ? (parts[0] ?? '') : (parts[0] ?? '').replace(/\.ts$/, '');
}

/** The relative imports of a source file (static, `export ... from`, and dynamic), as repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specifiers = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g),
  ].map((match) => match[1] ?? match[2] ?? '');
  return specifiers.map((specifier) =>
    path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)).replace(/\.js$/, '.ts'),
  );
}

/** Folder-level edges, each with the file-level imports behind it. */
function folderEdges(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of sources) {
    for (const target of importsOf(file)) {
      const from = unitOf(file);
      const to = unitOf(target);
      if (from === to) continue;
      const key = `${from} -> ${to}`;
      edges.set(key, [...(edges.get(key) ?? []), `${file} imports ${target}`]);
    }
  }
  return edges;
}

/** Strongly connected components of more than one folder (Tarjan): each is a loop between folders. */
function folderCycles(edges: Map<string, string[]>): string[][] {
  const graph = new Map<string, string[]>();
  for (const key of edges.keys()) {
    const [from = '', to = ''] = key.split(' -> ');
    graph.set(from, [...(graph.get(from) ?? []), to]);
  }
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

/** Functions (declarations, methods, arrows, expressions) and their length in lines, as formatted. */
function longFunctions(limit: number): Map<string, number> {
  const found = new Map<string, number>();
  for (const file of sources) {
    const source = ts.createSourceFile(file, readFileSync(path.join(root, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        const name =
          'name' in node && node.name
            ? node.name.getText(source)
            : ts.isVariableDeclaration(node.parent)
              ? node.parent.name.getText(source)
              : '(anonymous)';
        if (last - first + 1 > limit) found.set(`${file}#${name}@${first + 1}`.replace(/@\d+$/, ''), last - first + 1);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe('the shape of the code', () => {
  it('is formatted (Prettier, 120 columns): `npx prettier --write` fixes what this lists', async () => {
    const options = await prettier.resolveConfig(path.join(root, 'src', 'index.ts'));
    const files = [
      ...sources,
      ...filesUnder('test', ['.ts']),
      ...filesUnder('bench', ['.mjs']),
      ...filesUnder('scripts', ['.mjs']),
    ];
    const unformatted: string[] = [];
    for (const file of files) {
      if (
        !(await prettier.check(readFileSync(path.join(root, file), 'utf8'), {
          ...options,
          filepath: path.join(root, file),
        }))
      )
        unformatted.push(file);
    }
    expect(unformatted).toEqual([]);
    // Some 700 files: on a 2-core machine busy with builds this takes more than the project's 30 s.
  }, 180_000);

  it('has no file over 400 lines in src/', () => {
    const long = sources
      .map((file) => [file, readFileSync(path.join(root, file), 'utf8').split('\n').length - 1] as const)
      .filter(([, lines]) => lines > 400)
      .map(([file, lines]) => `${file}: ${lines} lines`);
    expect(long).toEqual([]);
  });

  it('has no function over 80 lines in src/', () => {
    expect([...longFunctions(80)].map(([key, lines]) => `${key}: ${lines} lines`)).toEqual([]);
  });

  it('places every folder of src/ in a layer', () => {
    expect(sources.map(unitOf).filter((unit) => layerOf(unit) === undefined)).toEqual([]);
    expect(Object.keys(layers).length).toBeGreaterThan(3);
  });

  it('imports downward only: nothing up a layer, nothing across one but the declared interfaces', () => {
    const edges = folderEdges();
    const upward = [...edges.keys()]
      .filter((key) => {
        const [from = '', to = ''] = key.split(' -> ');
        return (layerOf(to) ?? 0) >= (layerOf(from) ?? 0) && !allowedImports.has(key);
      })
      .map((key) => `${key}: ${(edges.get(key) ?? []).join('; ')}`);
    expect(upward).toEqual([]);
  });

  it('has no loop between folders', () => {
    expect(folderCycles(folderEdges())).toEqual([]);
  });

  it('is importable by its package name, with the stages a library user needs and nothing run on import', async () => {
    const { name } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string };
    const library = (await import(name)) as Record<string, unknown>;
    for (const stage of ['main', 'discoverRepository', 'loadConfig', 'runPipeline', 'runUpdate', 'verifyIndex'])
      expect(typeof library[stage], stage).toBe('function');
  });
});
