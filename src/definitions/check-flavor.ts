import { readFile } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import type { Problem } from '../errors/problem.js';
import { createProblem } from './codes.js';
import { parseJsonWithPositions, type JsonLocations } from './json-positions.js';
import { checkDefinitionRules } from './rules.js';
import { checkSchema } from './schema.js';
import type { Definition, Flavor } from './types.js';
import { createWorkerId } from './version.js';

export interface FlavorCheck {
  file: string;
  /** Absent when the file could not be read or parsed into an object. */
  flavor?: Flavor;
  locations?: JsonLocations;
  errors: Problem[];
  warnings: Problem[];
}

// The callback API: fs/promises' readFile makes several round trips to the thread pool per file.
const readText = promisify(readFile);

type Limit = <T>(task: () => Promise<T>) => Promise<T>;

/** Reads one definition file and runs every check that needs nothing but the file itself. */
export async function checkFlavorFile(repoDir: string, file: string, directory: string, limit: Limit): Promise<FlavorCheck> {
  let text: string;
  try {
    text = await limit(() => readText(join(repoDir, file), 'utf8'));
  } catch (error) {
    return { file, errors: [createProblem('DEF_READ_FAILED', { file }, (error as Error).message)], warnings: [] };
  }
  // Editors on Windows may save a byte order mark; the engine's JSON reader skips it, JSON.parse does not.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const parsed = parseJsonWithPositions(text);
  if (!parsed.ok) {
    const { line, column, message } = parsed.error;
    return { file, errors: [createProblem('DEF_JSON_SYNTAX', { file, line, column }, message)], warnings: [] };
  }
  const { value, locations } = parsed;
  const errors = checkSchema(value, file, locations);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { file, locations, errors, warnings: [] };
  const definition = value as Record<string, unknown>;
  const rules = checkDefinitionRules({ file, directory, definition, locations });
  const name = definition['name'];
  const version = definition['version'];
  const id = typeof name === 'string' && typeof version === 'string' ? createWorkerId(name, version) : '';
  return {
    file,
    // With errors the definition may not match its type: a folder with errors is never built.
    flavor: { file, definition: definition as Definition, id },
    locations,
    errors: [...errors, ...rules.errors],
    warnings: rules.warnings,
  };
}
