import type { ConfigurationItem, Definition } from '../definitions/types.js';
import type { Problem } from '../errors/problem.js';

type ItemType = ConfigurationItem['type'];

/**
 * Items every worker has in the engine besides its own `configurationItems` (the engine's global configuration).
 * Knowing their types lets `--config check_tlp=false` reach the worker as a boolean, not a string.
 */
const engineItems: Record<string, { type: ItemType; multi: boolean }> = {
  check_tlp: { type: 'boolean', multi: false },
  max_tlp: { type: 'number', multi: false },
  check_pap: { type: 'boolean', multi: false },
  max_pap: { type: 'number', multi: false },
  auto_extract: { type: 'boolean', multi: false },
  jobTimeout: { type: 'number', multi: false },
  jobCache: { type: 'number', multi: false },
  cacerts: { type: 'text', multi: false },
  proxy_http: { type: 'string', multi: false },
  proxy_https: { type: 'string', multi: false },
};

export interface ConfigLayers {
  /** The flavor definition: its `config`, then its items' `defaultValue`. Undefined: no defaults at all. */
  definition: Definition | undefined;
  /** Values read from `--config-file` (already parsed JSON), and the file's name for problems. */
  file: { path: string; values: Record<string, unknown> } | undefined;
  /** `--config name=value` pairs, in command-line order (the last one of a name wins). */
  pairs: string[];
  /** For `http_proxy` / `https_proxy`: the engine hands its proxy to every job as `config.proxy`. */
  env: NodeJS.ProcessEnv;
}

export interface JobConfig {
  config: Record<string, unknown>;
  errors: Problem[];
  warnings: Problem[];
}

/**
 * The `config` object of a job, layered as the engine builds it: the definition's `config`, the configuration
 * items' defaults, the configuration file, the `--config` pairs (typed by their item), then `proxy`. Every
 * problem is collected; a required item left without a value is one `RUN_CONFIG_MISSING` naming them all.
 */
export function buildJobConfig(layers: ConfigLayers): JobConfig {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const items = new Map((layers.definition?.configurationItems ?? []).map((item) => [item.name, item]));
  const typeOf = (name: string): { type: ItemType; multi: boolean } | undefined => {
    const item = items.get(name);
    return item ? { type: item.type, multi: item.multi === true } : engineItems[name];
  };
  const config: Record<string, unknown> = { ...(layers.definition?.config ?? {}) };
  for (const item of items.values()) if (item.defaultValue !== undefined) config[item.name] = item.defaultValue;

  if (layers.file) {
    for (const [name, value] of Object.entries(layers.file.values)) {
      const expected = typeOf(name);
      if (expected && !matchesType(value, expected)) {
        errors.push({
          code: 'RUN_CONFIG_VALUE',
          file: layers.file.path,
          pointer: `/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`,
          message: `${name} must be ${describeType(expected)}, not ${JSON.stringify(value)}`,
        });
      }
      config[name] = value;
    }
  }

  for (const pair of layers.pairs) {
    const equals = pair.indexOf('=');
    const name = equals > 0 ? pair.slice(0, equals) : '';
    if (!name) {
      errors.push({
        code: 'RUN_CONFIG_SYNTAX',
        message: `--config ${pair}: expected name=value`,
        hint: 'for example --config max_tlp=3',
      });
      continue;
    }
    const raw = pair.slice(equals + 1);
    const expected = typeOf(name);
    if (!expected) {
      warnings.push({
        code: 'RUN_W_CONFIG_UNTYPED',
        message: `--config ${name}: not a configuration item of the definition, passed as the string ${JSON.stringify(raw)}`,
        hint: 'give the flavor with --definition or --catalog, or typed values with --config-file',
      });
      config[name] = raw;
      continue;
    }
    const parsed = parseConfigValue(raw, expected);
    if (parsed instanceof Error)
      errors.push({ code: 'RUN_CONFIG_VALUE', message: `--config ${name}=${raw}: ${parsed.message}` });
    else config[name] = parsed;
  }

  const missing = [...items.values()]
    .filter((item) => item.required && isEmpty(config[item.name]))
    .map((item) => item.name);
  if (missing.length > 0) {
    errors.push({
      code: 'RUN_CONFIG_MISSING',
      message: `required configuration item${missing.length > 1 ? 's' : ''} without a value: ${missing.join(', ')}`,
      hint: `give ${missing.map((name) => `--config ${name}=VALUE`).join(' ')}, or put ${missing.length > 1 ? 'them' : 'it'} in --config-file`,
    });
  }

  const proxy = proxySettings(config, layers.env);
  if (proxy) config['proxy'] = { ...asObject(config['proxy']), ...proxy };
  return { config, errors, warnings };
}

/**
 * A `--config` value as its item's type: numbers, booleans (`true/false`, `yes/no`, `1/0`, `on/off`), text as
 * given; a `multi` item takes a comma-separated list (an empty value is the empty list).
 */
export function parseConfigValue(raw: string, expected: { type: ItemType; multi: boolean }): unknown {
  if (expected.multi) {
    if (raw.trim() === '') return [];
    const values = raw.split(',').map((part) => parseScalar(part.trim(), expected.type));
    return values.find((value) => value instanceof Error) ?? values;
  }
  return parseScalar(raw, expected.type);
}

function parseScalar(raw: string, type: ItemType): unknown {
  if (type === 'number') {
    const value = Number(raw);
    return raw.trim() !== '' && Number.isFinite(value) ? value : new Error(`${JSON.stringify(raw)} is not a number`);
  }
  if (type === 'boolean') {
    const lower = raw.trim().toLowerCase();
    if (['true', 'yes', '1', 'on'].includes(lower)) return true;
    if (['false', 'no', '0', 'off'].includes(lower)) return false;
    return new Error(`${JSON.stringify(raw)} is not a boolean (true or false)`);
  }
  return raw;
}

function matchesType(value: unknown, expected: { type: ItemType; multi: boolean }): boolean {
  const scalar = (entry: unknown): boolean =>
    expected.type === 'number'
      ? typeof entry === 'number'
      : expected.type === 'boolean'
        ? typeof entry === 'boolean'
        : typeof entry === 'string';
  if (value === null) return true;
  return expected.multi ? Array.isArray(value) && value.every(scalar) : scalar(value);
}

function describeType(expected: { type: ItemType; multi: boolean }): string {
  const scalar = expected.type === 'text' ? 'string' : expected.type;
  return expected.multi ? `a list of ${scalar}s` : `a ${scalar}`;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
}

/** The engine's `proxy: {http, https}`: from `proxy_http`/`proxy_https` in the config, else the environment. */
function proxySettings(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { http?: string; https?: string } | undefined {
  const pick = (key: string, names: string[]): string | undefined => {
    const configured = config[key];
    if (typeof configured === 'string' && configured) return configured;
    return names.map((name) => env[name]).find((value): value is string => Boolean(value));
  };
  const http = pick('proxy_http', ['http_proxy', 'HTTP_PROXY']);
  const https = pick('proxy_https', ['https_proxy', 'HTTPS_PROXY']);
  if (http === undefined && https === undefined) return undefined;
  return { ...(http === undefined ? {} : { http }), ...(https === undefined ? {} : { https }) };
}

export function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
