import type { Problem } from '../errors/problem.js';
import type { JsonLocations } from './json-positions.js';

interface CodeEntry {
  /** One line saying what is wrong; a problem's message adds the details after a colon. */
  message: string;
  /** What to do about it. */
  hint: string;
}

/**
 * Every problem the definition checks report. Codes are stable: scripts and documentation refer to them.
 * Errors keep their definition's flavor from being built (the folder, for a problem of the folder itself, such as
 * `DEF_UNKNOWN_RUNTIME`); warnings (`DEF_W_`) never do.
 */
export const definitionCodes = {
  DEF_READ_FAILED: {
    message: 'The definition file could not be read',
    hint: 'Check the file permissions.',
  },
  DEF_TOO_LARGE: {
    message: 'The definition file is larger than a definition can be (1 MiB)',
    hint: 'A definition describes a worker; data belongs in the worker folder, not in its definition.',
  },
  DEF_TOO_DEEP: {
    message: 'The definition nests arrays and objects more than 64 levels deep',
    hint: 'A definition is a flat description of a worker: no field needs this depth.',
  },
  DEF_ENCODING: {
    message: 'The definition file is not UTF-8',
    hint: 'Save the file as UTF-8: the engine reads definitions as UTF-8.',
  },
  DEF_SYMLINK_ESCAPE: {
    message: 'The definition is a symbolic link that leads out of the repository',
    hint: 'Copy the definition into the repository: only what the repository holds is validated, built and published.',
  },
  DEF_JSON_SYNTAX: {
    message: 'The definition is not valid JSON',
    hint: 'Fix the JSON at the given line and column (no comments, no trailing commas, double-quoted strings).',
  },
  DEF_REQUIRED_FIELD: {
    message: 'A required field is missing',
    hint: 'Add the field: the engine needs it to load the worker.',
  },
  DEF_TYPE: {
    message: 'A field has the wrong type',
    hint: 'Use the type the definition format expects for this field.',
  },
  DEF_ENUM: {
    message: 'A field has a value that is not allowed',
    hint: 'Configuration item types are `text`, `string`, `number` or `boolean`.',
  },
  DEF_NAME_INVALID: {
    message: 'The worker name cannot be used as an image name',
    hint: 'Use letters, digits and single separators (`.`, `_`, `-`) between them; no spaces, `/`, `\\` or `..`.',
  },
  DEF_VERSION_INVALID: {
    message: 'The version must be `X.Y` or `X.Y.Z`',
    hint: 'Use digits only, e.g. `2.0` or `1.4.2`: the version is part of the worker id and of the image tag.',
  },
  DEF_COMMAND_INVALID: {
    message: 'The command must be a path to the worker program',
    hint: 'Write `<Folder>/<program>`, without an interpreter or arguments: the image chooses how to run it.',
  },
  DEF_COMMAND_FOLDER: {
    message: "The command is not in the worker's own folder",
    hint: 'The command is relative to the kind folder and starts with the worker folder name, e.g. `AbuseIPDB/abuseipdb.py`.',
  },
  DEF_COMMAND_ESCAPE: {
    message: "The command leaves the worker's folder",
    hint: 'Use a relative path without `..` that stays inside the worker folder (symbolic links included).',
  },
  DEF_COMMAND_MISSING: {
    message: 'The command file does not exist',
    hint: 'Add the program to the worker folder or fix the path in `command`.',
  },
  DEF_REQUIREMENTS_ESCAPE: {
    message: "The requirements file leaves the worker's folder",
    hint: 'Use a path relative to the worker folder, without `..`, e.g. `requirements_v6.txt`.',
  },
  DEF_REQUIREMENTS_MISSING: {
    message: 'The requirements file does not exist',
    hint: 'Add the file to the worker folder or fix the path in `requirements`.',
  },
  DEF_DUPLICATE_ID: {
    message: 'Two definitions have the same worker id',
    hint: 'The engine identifies a worker by `name_version` (dots as underscores): change the name or the version of one of them.',
  },
  DEF_IMAGE_NAME_COLLISION: {
    message: 'Two workers would be published as the same image',
    hint: 'An image is named after the worker name, lower-cased, whatever the kind: rename one of them (an analyzer and a responder cannot share a name, nor can names that differ only in case).',
  },
  DEF_DEFAULT_VALUE: {
    message: 'The default value does not match the configuration item',
    hint: 'Give a value of the item type (`text`/`string`: string, `number`: number, `boolean`: boolean), an array of them when `multi` is true; `null` only for an optional single value.',
  },
  DEF_MIXED_RUNTIME: {
    message: "The folder's flavors need different runtimes",
    hint: 'Move the flavors into separate folders, or add a Dockerfile to the folder to build it your own way.',
  },
  DEF_UNKNOWN_RUNTIME: {
    message: 'The runtime of the folder cannot be detected',
    hint: 'Add a Dockerfile to the folder (or a go.mod, package.json or requirements.txt, or a command ending in .py or .js).',
  },
  DEF_W_MISSPELLED_FIELD: {
    message: 'A field name looks like a misspelling; nothing reads it under this name',
    hint: 'Rename the field to the expected spelling.',
  },
  DEF_W_UNKNOWN_FIELD: {
    message: 'Unknown field; it is kept but nothing reads it',
    hint: 'Remove the field, or check its spelling.',
  },
  DEF_W_DUPLICATE_KEY: {
    message: 'A field appears twice in the same object; the last one wins',
    hint: 'Keep only one of them.',
  },
  DEF_W_CONFIG_ITEM_DEFAULTED: {
    message: 'A configuration item field is missing; the engine reads it as false',
    hint: 'Write `"multi": false` / `"required": false` explicitly.',
  },
  DEF_W_NO_README: {
    message: 'The worker folder has no README.md',
    hint: 'Add a README.md: it is the documentation shown in the catalog.',
  },
} as const satisfies Record<string, CodeEntry>;

export type DefinitionCode = keyof typeof definitionCodes;

export interface ProblemPlace {
  file: string;
  /** JSON pointer; with `locations`, the line and column of the value (or of its key, see `atKey`) are added. */
  pointer?: string;
  locations?: JsonLocations;
  /** Point at the member's key rather than its value, e.g. for an unknown field. */
  atKey?: boolean;
  line?: number;
  column?: number;
}

/** Builds a problem from the catalog: `detail` follows the catalog message after a colon. */
export function createProblem(code: DefinitionCode, place: ProblemPlace, detail?: string): Problem {
  const entry: CodeEntry = definitionCodes[code];
  const problem: Problem = {
    code,
    file: place.file,
    message: detail === undefined ? entry.message : `${entry.message}: ${detail}`,
    hint: entry.hint,
  };
  if (place.pointer !== undefined) problem.pointer = place.pointer;
  const position =
    place.pointer !== undefined && place.locations
      ? ((place.atKey ? place.locations.key(place.pointer) : undefined) ?? place.locations.value(place.pointer))
      : undefined;
  const line = place.line ?? position?.line;
  const column = place.column ?? position?.column;
  if (line !== undefined) problem.line = line;
  if (column !== undefined) problem.column = column;
  return problem;
}

export function isWarningCode(code: string): boolean {
  return code.startsWith('DEF_W_');
}
