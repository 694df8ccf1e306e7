import { discoverRepository } from '../../../src/definitions/discover.js';
import type { Discovery } from '../../../src/definitions/types.js';
import type { Problem } from '../../../src/errors/problem.js';
import { writeTree, type TreeEntry } from './fixture.js';

export async function discoverTree(tree: Record<string, TreeEntry>, definitionsOnly = false): Promise<Discovery> {
  return discoverRepository(await writeTree(tree), { definitionsOnly });
}

/** The parts of a problem a test pins down: code and location. */
export function located(problems: Problem[]): Array<Pick<Problem, 'code' | 'file' | 'pointer' | 'line' | 'column'>> {
  return problems.map(({ code, file, pointer, line, column }) => {
    const entry: Pick<Problem, 'code' | 'file' | 'pointer' | 'line' | 'column'> = { code };
    if (file !== undefined) entry.file = file;
    if (pointer !== undefined) entry.pointer = pointer;
    if (line !== undefined) entry.line = line;
    if (column !== undefined) entry.column = column;
    return entry;
  });
}
