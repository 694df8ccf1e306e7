import { realpath } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import type { Problem } from '../errors/problem.js';
import { createProblem } from './codes.js';
import { parseJsonWithPositions, type JsonLocations } from './json-positions.js';
import { checkDefinitionRules } from './rules.js';
import { checkSchema } from './schema.js';
import type { Definition, Flavor } from './types.js';
import { createWorkerId } from './version.js';
import { maxJsonDepth, nestsDeeperThan } from '../util/json-depth.js';
import { decodeUtf8, readFileWithin, sizeLimits, TooLargeError } from '../util/size-limits.js';

export interface FlavorCheck {
  file: string;
  /** Absent when the file could not be read or parsed into an object. */
  flavor?: Flavor;
  locations?: JsonLocations;
  errors: Problem[];
  warnings: Problem[];
}

type Limit = <T>(task: () => Promise<T>) => Promise<T>;

/** Where a definition is: its repository-relative name, and enough to find its real path with few system calls. */
export interface DefinitionPlace {
  repoRealPath: string;
  /** Repository-relative, with forward slashes. */
  file: string;
  /** The real path of its worker folder (resolved once per folder). */
  folderRealPath: string;
  /** Whether the file itself is a symbolic link: only then is its own real path asked for. */
  isLink: boolean;
}

/**
 * Reads a definition: inside the repository (following links), at most `sizeLimits.definition` bytes, valid UTF-8.
 * Anything else is a problem naming the file, never a read of whatever a link points at.
 */
async function readDefinition(place: DefinitionPlace): Promise<{ text: string } | { problem: Problem }> {
  const { file } = place;
  try {
    const own = join(place.folderRealPath, posix.basename(file));
    const real = place.isLink ? await realpath(own) : own;
    if (!real.startsWith(place.repoRealPath + sep))
      return { problem: createProblem('DEF_SYMLINK_ESCAPE', { file }, `it leads to ${real}`) };
    const text = decodeUtf8(await readFileWithin(real, sizeLimits.definition));
    return text === undefined ? { problem: createProblem('DEF_ENCODING', { file }) } : { text };
  } catch (error) {
    if (error instanceof TooLargeError) return { problem: createProblem('DEF_TOO_LARGE', { file }, error.message) };
    return { problem: createProblem('DEF_READ_FAILED', { file }, (error as Error).message) };
  }
}

/** Reads one definition file and runs every check that needs nothing but the file itself. */
export async function checkFlavorFile(place: DefinitionPlace, directory: string, limit: Limit): Promise<FlavorCheck> {
  const { file } = place;
  const read = await limit(() => readDefinition(place));
  if ('problem' in read) return { file, errors: [read.problem], warnings: [] };
  let { text } = read;
  // Editors on Windows may save a byte order mark; the engine's JSON reader skips it, JSON.parse does not.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const parsed = parseJsonWithPositions(text);
  if (!parsed.ok) {
    const { line, column, message, tooDeep } = parsed.error;
    if (tooDeep) return { file, errors: [createProblem('DEF_TOO_DEEP', { file }, message)], warnings: [] };
    return { file, errors: [createProblem('DEF_JSON_SYNTAX', { file, line, column }, message)], warnings: [] };
  }
  const { value, locations } = parsed;
  // Checked before anything else walks the value: catalogs are written with JSON.stringify, which recurses.
  if (nestsDeeperThan(value, maxJsonDepth))
    return {
      file,
      errors: [createProblem('DEF_TOO_DEEP', { file }, `more than ${maxJsonDepth} levels`)],
      warnings: [],
    };
  const errors = checkSchema(value, file, locations);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { file, locations, errors, warnings: [] };
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
