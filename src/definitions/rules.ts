import { posix } from 'node:path';
import { maxNameLength } from '../images/reference-syntax.js';
import type { Problem } from '../errors/problem.js';
import { createProblem, isWarningCode, type DefinitionCode } from './codes.js';
import type { JsonLocations } from './json-positions.js';
import { describeJsonType, listUnknownFields } from './schema.js';
import { isWorkerVersion } from './version.js';

/** One parsed definition file, as the rules see it. */
export interface DefinitionInput {
  /** Repository-relative path of the file. */
  file: string;
  /** The worker folder name, e.g. `AbuseIPDB`. */
  directory: string;
  definition: Record<string, unknown>;
  locations: JsonLocations;
}

export interface RuleFindings {
  errors: Problem[];
  warnings: Problem[];
}

const imagePathComponent = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;

/** Field names seen in the wild for a field the engine reads under another name. */
const knownMisspellings: Record<string, string> = {
  serviceHomepage: 'service_homepage',
  serviceLogo: 'service_logo',
  registrationRequired: 'registration_required',
  subscriptionRequired: 'subscription_required',
  freeSubscription: 'free_subscription',
  integrationType: 'integration_type',
  datatypeList: 'dataTypeList',
  dataTypelist: 'dataTypeList',
  baseconfig: 'baseConfig',
  configurationitems: 'configurationItems',
  defaultvalue: 'defaultValue',
  default: 'defaultValue',
  'caption:': 'caption',
};

/** The checks of one definition that need neither the file system nor the other definitions. */
export function checkDefinitionRules(input: DefinitionInput): RuleFindings {
  const findings: RuleFindings = { errors: [], warnings: [] };
  checkName(input, findings);
  checkVersion(input, findings);
  checkCommandShape(input, findings);
  checkRequirementsShape(input, findings);
  checkConfigurationItems(input, findings);
  reportFieldNames(input, findings);
  return findings;
}

function report(
  findings: RuleFindings,
  input: DefinitionInput,
  code: DefinitionCode,
  pointer: string,
  detail: string,
): void {
  const problem = createProblem(code, { file: input.file, pointer, locations: input.locations }, detail);
  (isWarningCode(code) ? findings.warnings : findings.errors).push(problem);
}

/** Why a worker name cannot be an image name, or undefined when it can. */
export function explainInvalidName(name: string): string | undefined {
  if (name === '') return 'the name is empty';
  // The whole image name (registry, namespace and this) may have 255 characters: a longer worker name never fits,
  // and without this check it passes validation and fails later as an anonymous registry error.
  if (name.length > maxNameLength)
    return `${name.length} characters, more than the ${maxNameLength} an image name may have`;
  if (/\s/.test(name)) return `\`${name}\` contains whitespace`;
  if (name.includes('/') || name.includes('\\')) return `\`${name}\` contains a slash`;
  if (name.includes('..')) return `\`${name}\` contains \`..\``;
  if (!imagePathComponent.test(name.toLowerCase())) {
    return `\`${name.toLowerCase()}\` is not a valid image name component (letters and digits, separated by \`.\`, \`_\`, \`__\` or dashes)`;
  }
  return undefined;
}

function checkName(input: DefinitionInput, findings: RuleFindings): void {
  const name = input.definition['name'];
  if (typeof name !== 'string') return;
  const reason = explainInvalidName(name);
  if (reason) report(findings, input, 'DEF_NAME_INVALID', '/name', reason);
}

function checkVersion(input: DefinitionInput, findings: RuleFindings): void {
  const version = input.definition['version'];
  if (typeof version === 'string' && !isWorkerVersion(version)) {
    report(findings, input, 'DEF_VERSION_INVALID', '/version', `\`${version}\``);
  }
}

export type PathShape =
  { ok: true; relative: string } | { ok: false; code: 'invalid' | 'escape' | 'folder'; detail: string };

function escapesLexically(path: string): boolean {
  return posix.isAbsolute(path) || /^[A-Za-z]:/.test(path) || path.split(/[/\\]/).includes('..');
}

/**
 * Checks the form of a `command`: relative to the kind folder, starting with the worker folder name.
 * Returns the path relative to the worker folder.
 */
export function checkCommandPath(command: string, directory: string): PathShape {
  if (command.trim() === '') return { ok: false, code: 'invalid', detail: 'the command is empty' };
  if (escapesLexically(command)) return { ok: false, code: 'escape', detail: `\`${command}\`` };
  if (/\s/.test(command)) {
    return { ok: false, code: 'invalid', detail: `\`${command}\` contains whitespace (an interpreter or arguments?)` };
  }
  if (command.includes('\\'))
    return { ok: false, code: 'invalid', detail: `\`${command}\` contains a backslash; use \`/\`` };
  const [first, ...rest] = posix.normalize(command).split('/');
  if (first !== directory) {
    return { ok: false, code: 'folder', detail: `\`${command}\` is not under \`${directory}/\`` };
  }
  if (rest.length === 0 || rest.join('/') === '') {
    return { ok: false, code: 'invalid', detail: `\`${command}\` names the folder, not a program in it` };
  }
  return { ok: true, relative: rest.join('/') };
}

const commandCodes = {
  invalid: 'DEF_COMMAND_INVALID',
  escape: 'DEF_COMMAND_ESCAPE',
  folder: 'DEF_COMMAND_FOLDER',
} as const;

function checkCommandShape(input: DefinitionInput, findings: RuleFindings): void {
  const command = input.definition['command'];
  if (typeof command !== 'string') return;
  const shape = checkCommandPath(command, input.directory);
  if (!shape.ok) report(findings, input, commandCodes[shape.code], '/command', shape.detail);
}

function checkRequirementsShape(input: DefinitionInput, findings: RuleFindings): void {
  const requirements = input.definition['requirements'];
  if (typeof requirements !== 'string') return;
  if (requirements.trim() === '')
    report(findings, input, 'DEF_REQUIREMENTS_MISSING', '/requirements', 'the path is empty');
  else if (escapesLexically(requirements))
    report(findings, input, 'DEF_REQUIREMENTS_ESCAPE', '/requirements', `\`${requirements}\``);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkConfigurationItems(input: DefinitionInput, findings: RuleFindings): void {
  const items = input.definition['configurationItems'];
  if (!Array.isArray(items)) return;
  items.forEach((item: unknown, index) => {
    if (!isRecord(item)) return;
    const pointer = `/configurationItems/${index}`;
    for (const flag of ['multi', 'required'] as const) {
      if (Object.hasOwn(item, flag)) continue;
      // The engine reads a missing flag as false. The definition is kept as written: it goes to the catalog as is.
      report(findings, input, 'DEF_W_CONFIG_ITEM_DEFAULTED', pointer, `\`${flag}\` of \`${String(item['name'])}\``);
    }
    if (Object.hasOwn(item, 'defaultValue')) {
      const problem = explainDefaultValueMismatch(item);
      if (problem) report(findings, input, 'DEF_DEFAULT_VALUE', `${pointer}/defaultValue`, problem);
    }
  });
}

const valueTypes: Record<string, string> = { text: 'string', string: 'string', number: 'number', boolean: 'boolean' };

/** Mirrors the engine's check of a configuration value against its item; undefined when they agree. */
export function explainDefaultValueMismatch(item: Record<string, unknown>): string | undefined {
  const type = item['type'];
  const expected = typeof type === 'string' ? valueTypes[type] : undefined;
  if (expected === undefined || typeof item['multi'] !== 'boolean') return undefined;
  const value = item['defaultValue'];
  const name = String(item['name']);
  if (item['multi']) {
    if (!Array.isArray(value))
      return `\`${name}\` is multi: the default must be an array of ${expected}s, not ${describeJsonType(value)}`;
    const wrong = value.findIndex(
      (entry: unknown) => typeof entry !== expected && !(entry === null && item['required'] === false),
    );
    return wrong === -1
      ? undefined
      : `item ${wrong} of the default of \`${name}\` is ${describeJsonType(value[wrong])}, not a ${expected}`;
  }
  if (value === null)
    return item['required'] === true ? `\`${name}\` is required: the default cannot be null` : undefined;
  return typeof value === expected
    ? undefined
    : `the default of \`${name}\` (${type}) is ${describeJsonType(value)}, not a ${expected}`;
}

function reportFieldNames(input: DefinitionInput, findings: RuleFindings): void {
  for (const pointer of listUnknownFields(input.definition)) {
    const key = pointer
      .slice(pointer.lastIndexOf('/') + 1)
      .replaceAll('~1', '/')
      .replaceAll('~0', '~');
    const intended = Object.hasOwn(knownMisspellings, key) ? knownMisspellings[key] : undefined;
    const place = { file: input.file, pointer, locations: input.locations, atKey: true };
    findings.warnings.push(
      intended
        ? createProblem('DEF_W_MISSPELLED_FIELD', place, `\`${key}\` should be \`${intended}\``)
        : createProblem('DEF_W_UNKNOWN_FIELD', place, `\`${key}\``),
    );
  }
  for (const pointer of input.locations.duplicateKeys) {
    findings.warnings.push(
      createProblem(
        'DEF_W_DUPLICATE_KEY',
        { file: input.file, pointer, locations: input.locations, atKey: true },
        `\`${pointer}\``,
      ),
    );
  }
}
