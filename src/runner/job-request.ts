import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors/neurons-error.js';
import type { Problem } from '../errors/problem.js';
import { registerSecret } from '../util/mask.js';
import { asObject, buildJobConfig } from './job-config.js';
import type { JobRequest, Observable } from './prepare-job.js';
import type { RunTarget } from './resolve-target.js';

/** The engine's default job timeout, in seconds. */
export const defaultTimeoutSeconds = 600;

/** How the command line's flags are read: by name, relative paths already resolved. */
export interface FlagReaders {
  text(key: string): string | undefined;
  list(key: string): string[];
  file(key: string): string | undefined;
}

/** Every flag of the job checked at once: all usage problems are reported together. */
export async function buildRequest(
  env: NodeJS.ProcessEnv,
  target: RunTarget,
  { text, list, file }: FlagReaders,
): Promise<{
  request: JobRequest | undefined;
  timeoutSeconds: number | undefined;
  problems: Problem[];
  warnings: Problem[];
}> {
  const problems: Problem[] = [];
  const attempt = <T>(compute: () => T): T | undefined => {
    try {
      return compute();
    } catch (error) {
      if (error instanceof UsageError) problems.push(error.problem);
      else throw error;
      return undefined;
    }
  };
  const attachment = file('file');
  const dataType = text('data-type') ?? (attachment === undefined ? undefined : 'file');
  if (dataType === undefined)
    problems.push({
      code: 'USAGE',
      message: '--data-type is required (for example domain, ip, url, file, thehive:case)',
    });
  const observable = attempt(() => readObservable(text('data'), attachment, dataType));
  const unsupported = unsupportedDataType(target, dataType);
  if (unsupported) problems.push(unsupported);
  const tlp = attempt(() => numberFlag('tlp', text('tlp'), 2, { min: 0, max: 4, integer: true }));
  const pap = attempt(() => numberFlag('pap', text('pap'), 2, { min: 0, max: 3, integer: true }));
  const timeoutSeconds = attempt(() =>
    numberFlag('timeout', text('timeout'), defaultTimeoutSeconds, { min: 1, max: 86_400, integer: false }),
  );
  const parameters = parseParameters(list('parameter'), problems);
  const configFile = file('config-file');
  const fileValues =
    configFile === undefined
      ? undefined
      : await readConfigFile(configFile).catch((error: unknown) => void problems.push((error as UsageError).problem));
  const built = buildJobConfig({
    definition: target.definition,
    file: configFile === undefined || fileValues === undefined ? undefined : { path: configFile, values: fileValues },
    pairs: list('config'),
    env,
  });
  problems.push(...built.errors);
  // Credentials given to the worker never show in what neurons prints (the worker's own messages included).
  for (const [name, value] of Object.entries(built.config))
    if (/key|pass|secret|token/i.test(name) && typeof value === 'string') registerSecret(value);
  const caFile = file('ca');
  const caCertificates =
    caFile === undefined
      ? typeof built.config['cacerts'] === 'string'
        ? built.config['cacerts']
        : undefined
      : await readCaCertificates(caFile, problems);
  if (
    problems.length > 0 ||
    dataType === undefined ||
    observable === undefined ||
    tlp === undefined ||
    pap === undefined
  ) {
    return { request: undefined, timeoutSeconds, problems, warnings: built.warnings };
  }
  const request: JobRequest = {
    dataType,
    observable,
    tlp,
    pap,
    message: text('message') ?? '',
    parameters,
    config: built.config,
    ...(caCertificates === undefined ? {} : { caCertificates }),
  };
  return { request, timeoutSeconds, problems, warnings: built.warnings };
}

/** The problem of a data type the definition does not list; none without a definition or a data type. */
function unsupportedDataType(target: RunTarget, dataType: string | undefined): Problem | undefined {
  const supported = target.definition?.dataTypeList;
  if (dataType === undefined || !Array.isArray(supported) || supported.includes(dataType)) return undefined;
  return {
    code: 'RUN_DATA_TYPE',
    message: `${target.workerId ?? target.image} does not accept the data type ${dataType}`,
    hint: `its data types: ${supported.join(', ')}`,
  };
}

/** `--parameter name=value`, each a string. */
function parseParameters(pairs: string[], problems: Problem[]): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals > 0) parameters[pair.slice(0, equals)] = pair.slice(equals + 1);
    else problems.push({ code: 'USAGE', message: `--parameter ${pair}: expected name=value` });
  }
  return parameters;
}

/** `--ca FILE`: the PEM text written to input/cacerts, in place of a `cacerts` configuration value. */
async function readCaCertificates(caFile: string, problems: Problem[]): Promise<string | undefined> {
  const caCertificates = await readFile(caFile, 'utf8').catch(
    () =>
      void problems.push({
        code: 'RUN_CA_MISSING',
        file: caFile,
        message: 'cannot read the CA file',
        hint: 'give a PEM file of the CA(s) the worker must trust',
      }),
  );
  if (caCertificates !== undefined && !caCertificates.includes('-----BEGIN CERTIFICATE-----')) {
    problems.push({
      code: 'RUN_CA_INVALID',
      file: caFile,
      message: 'not a PEM certificate file (no BEGIN CERTIFICATE line)',
    });
  }
  return caCertificates;
}

/** `--data` or `--file`, exactly one. Responders' data (`thehive:*` types) is an entity: JSON, parsed. */
function readObservable(
  data: string | undefined,
  attachment: string | undefined,
  dataType: string | undefined,
): Observable {
  if ((data === undefined) === (attachment === undefined)) {
    throw new UsageError({
      code: 'USAGE',
      message:
        data === undefined
          ? 'give the observable with --data VALUE or --file PATH'
          : '--data and --file exclude each other',
    });
  }
  if (attachment !== undefined) {
    if (!existsSync(attachment) || !statSync(attachment).isFile())
      throw new UsageError({
        code: 'RUN_FILE_MISSING',
        file: attachment,
        message: 'the file to analyze does not exist or is not a file',
      });
    return { file: attachment };
  }
  if (dataType?.startsWith('thehive:')) {
    try {
      return { data: JSON.parse(data as string) as unknown };
    } catch (error) {
      throw new UsageError({
        code: 'RUN_DATA_INVALID',
        message: `--data for ${dataType} must be a JSON entity: ${(error as Error).message}`,
        hint: `for example --data '{"_type":"case","title":"..."}'`,
      });
    }
  }
  return { data: data as string };
}

async function readConfigFile(configFile: string): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(configFile, 'utf8'));
  } catch (error) {
    throw new UsageError({
      code: 'RUN_CONFIG_FILE',
      file: configFile,
      message: `cannot read the configuration file: ${(error as Error).message}`,
    });
  }
  const values = asObject(parsed);
  if (!values)
    throw new UsageError({
      code: 'RUN_CONFIG_FILE',
      file: configFile,
      message: 'a configuration file is a JSON object of item values',
    });
  return values;
}

function numberFlag(
  name: string,
  raw: string | undefined,
  fallback: number,
  range: { min: number; max: number; integer: boolean },
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (
    raw.trim() === '' ||
    !Number.isFinite(value) ||
    value < range.min ||
    value > range.max ||
    (range.integer && !Number.isInteger(value))
  ) {
    throw new UsageError({
      code: 'USAGE',
      message: `--${name} must be ${range.integer ? 'a whole number' : 'a number'} from ${range.min} to ${range.max}, not ${raw}`,
    });
  }
  return value;
}
