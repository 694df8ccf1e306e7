import type { ValidateFunction } from 'ajv';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors/neurons-error.js';
import type { Problem } from '../errors/problem.js';
import { schemaValidator } from '../util/schema-validator.js';
import { readFileWithin, sizeLimits } from '../util/size-limits.js';
import { checkConfigFileValues } from './check-values.js';
import { configFileName } from './config-types.js';
import { configSchema, type ConfigFile } from './schema.js';

let compiled: ValidateFunction<ConfigFile> | undefined;

/**
 * Compiled on first use: a run without a configuration file never pays for it. The schema is ours and checked against
 * the JSON Schema meta-schema by the tests, so it is not checked again on every run (that alone cost 60 ms).
 */
function validateConfig(value: unknown): value is ConfigFile {
  compiled ??= schemaValidator<ConfigFile>('config', configSchema, configValidatorOptions);
  return compiled(value);
}

/** How the configuration schema is compiled, here and ahead of time by `npm run build`. */
export const configValidatorOptions = { allErrors: true, strict: true, validateSchema: false };

/** The configuration file in use (`neurons.json` at the repository root, or `--config`), and what it holds. */
export async function readConfigAt(
  repo: string,
  configFile: string | undefined,
): Promise<{ file: string; found: boolean; fromFile: ConfigFile }> {
  const file = configFile ? path.resolve(configFile) : path.join(repo, configFileName);
  if (configFile && !existsSync(file)) {
    throw new UsageError({
      code: 'CONFIG_NOT_FOUND',
      file,
      message: 'configuration file not found',
      hint: 'check the --config path',
    });
  }
  const found = existsSync(file);
  return { file, found, fromFile: found ? await readConfigFile(file) : {} };
}

export async function readConfigFile(file: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = (await readFileWithin(file, sizeLimits.settingsFile)).toString('utf8');
  } catch (error) {
    throw unreadable(file, error);
  }
  return parseConfigFile(text, file);
}

/** The pure half of reading: JSON, the schema, then the values the schema cannot check. */
export function parseConfigFile(text: string, file: string): ConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw unreadable(file, error);
  }
  if (!validateConfig(parsed)) {
    const problems: Problem[] = (compiled?.errors ?? []).map((error) => ({
      code: 'CONFIG_INVALID',
      file,
      pointer: error.instancePath || '/',
      message: `${error.instancePath || 'configuration'} ${error.message ?? 'is invalid'}${error.params && 'additionalProperty' in error.params ? `: ${String(error.params['additionalProperty'])}` : ''}`,
    }));
    const first = problems[0] as Problem;
    throw new UsageError({
      ...first,
      message: problems.map((problem) => `${problem.pointer}: ${problem.message}`).join('; '),
      hint: 'see the README section "Configuration"',
    });
  }
  checkConfigFileValues(parsed, file);
  return parsed;
}

function unreadable(file: string, error: unknown): UsageError {
  return new UsageError({
    code: 'CONFIG_INVALID',
    file,
    message: `cannot read configuration: ${(error as Error).message}`,
    hint: 'the file must be valid JSON',
  });
}
