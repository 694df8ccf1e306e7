import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseBaseline, type Baseline } from '../definitions/baseline.js';
import { UsageError } from '../errors/neurons-error.js';
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
