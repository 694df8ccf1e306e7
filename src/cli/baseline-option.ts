import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseBaseline, splitByBaseline, type Baseline } from '../definitions/baseline.js';
import { UsageError } from '../errors/neurons-error.js';
import { formatProblem, type Problem } from '../errors/problem.js';
import { printable } from '../util/printable.js';
import { type CliIo, type ParsedValues, stringOption } from './command.js';

/** `--baseline FILE` of `validate` and the pipeline commands: read and checked before anything else is done. */
export async function baselineOption(io: CliIo, values: ParsedValues): Promise<Baseline | undefined> {
  const given = stringOption(values, 'baseline');
  if (given === undefined) return undefined;
  const file = path.resolve(io.cwd, given);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError({
      code: 'BASELINE_INVALID',
      file,
      message: `the baseline file cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      hint: 'write it with `neurons validate --write-baseline FILE`, or check --baseline',
    });
  }
  return parseBaseline(text, file);
}

/**
 * Prints every validation error on standard error, as `known` when the baseline lists it, else as `error`. Returns
 * the known ones and the new ones: only new ones fail a run.
 */
export function printValidationErrors(
  io: CliIo,
  errors: Problem[],
  baseline: Baseline | undefined,
): { known: Set<Problem>; fresh: Problem[] } {
  const { known, fresh } = splitByBaseline(errors, baseline);
  const knownSet = new Set(known);
  for (const problem of errors)
    io.stderr.write(`${knownSet.has(problem) ? 'known  ' : 'error  '} ${printable(formatProblem(problem))}\n`);
  return { known: knownSet, fresh };
}
