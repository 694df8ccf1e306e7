import { describe, expect, it } from 'vitest';
import type { ConfigurationItem, Definition } from '../../../src/definitions/types.js';
import { buildJobConfig, parseConfigValue } from '../../../src/runner/job-config.js';

const item = (
  name: string,
  type: ConfigurationItem['type'],
  extra: Partial<ConfigurationItem> = {},
): ConfigurationItem => ({ name, description: '', type, multi: false, required: false, ...extra });

const definition: Definition = {
  name: 'Lookup',
  version: '1.0',
  author: 'test',
  url: '',
  license: 'AGPL-V3',
  description: '',
  dataTypeList: ['domain'],
  command: 'Lookup/lookup.py',
  baseConfig: 'Lookup',
  config: { service: 'query', check_tlp: true, max_tlp: 2, threshold: 1 },
  configurationItems: [
    item('threshold', 'number', { defaultValue: 5 }),
    item('verbose', 'boolean', { defaultValue: false }),
    item('tags', 'string', { multi: true, defaultValue: ['a'] }),
    item('ports', 'number', { multi: true }),
    item('url', 'string'),
  ],
};

const layers = (
  overrides: Partial<Parameters<typeof buildJobConfig>[0]> = {},
): Parameters<typeof buildJobConfig>[0] => ({ definition, file: undefined, pairs: [], env: {}, ...overrides });

describe('job config layering', () => {
  it("puts the items' defaults over the definition's config, then the file, then --config pairs", () => {
    expect(buildJobConfig(layers()).config).toEqual({
      service: 'query',
      check_tlp: true,
      max_tlp: 2,
      threshold: 5,
      verbose: false,
      tags: ['a'],
    });
    const layered = buildJobConfig(
      layers({
        file: { path: 'c.json', values: { threshold: 7, url: 'https://a' } },
        pairs: ['threshold=9', 'service=other'],
      }),
    );
    expect(layered.errors).toEqual([]);
    expect(layered.config).toMatchObject({ threshold: 9, url: 'https://a', service: 'other' });
  });

  it("types --config values by their item, and the engine's own items too", () => {
    const { config, errors, warnings } = buildJobConfig(
      layers({ pairs: ['verbose=yes', 'tags=x, y', 'ports=80,443', 'check_tlp=false', 'max_tlp=3', 'url=a=b'] }),
    );
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      verbose: true,
      tags: ['x', 'y'],
      ports: [80, 443],
      check_tlp: false,
      max_tlp: 3,
      url: 'a=b',
    });
    expect(buildJobConfig(layers({ pairs: ['tags='] })).config['tags']).toEqual([]);
  });

  it('collects every bad value at once', () => {
    const { errors } = buildJobConfig(layers({ pairs: ['threshold=many', 'verbose=maybe', 'ports=80,x', 'noequals'] }));
    expect(errors.map((problem) => problem.code)).toEqual([
      'RUN_CONFIG_VALUE',
      'RUN_CONFIG_VALUE',
      'RUN_CONFIG_VALUE',
      'RUN_CONFIG_SYNTAX',
    ]);
    expect(errors[0]?.message).toContain('"many" is not a number');
  });

  it('checks the types of --config-file values, with a pointer into the file', () => {
    const { errors } = buildJobConfig(
      layers({ file: { path: 'c.json', values: { threshold: '5', tags: ['ok', 1], unknown: { any: 1 } } } }),
    );
    expect(errors.map((problem) => [problem.code, problem.file, problem.pointer])).toEqual([
      ['RUN_CONFIG_VALUE', 'c.json', '/threshold'],
      ['RUN_CONFIG_VALUE', 'c.json', '/tags'],
    ]);
  });

  it('passes unknown names as strings with a warning', () => {
    const { config, warnings } = buildJobConfig(layers({ pairs: ['api_key=123'] }));
    expect(config['api_key']).toBe('123');
    expect(warnings.map((problem) => problem.code)).toEqual(['RUN_W_CONFIG_UNTYPED']);
  });

  it('without a definition: no defaults, and values stay strings', () => {
    const { config } = buildJobConfig(layers({ definition: undefined, pairs: ['key=1', 'max_tlp=3'] }));
    expect(config).toEqual({ key: '1', max_tlp: 3 });
  });

  it('names every required item left without a value in one RUN_CONFIG_MISSING', () => {
    const strict: Definition = {
      ...definition,
      configurationItems: [
        item('key', 'string', { required: true }),
        item('hosts', 'string', { required: true, multi: true, defaultValue: [] }),
        item('ok', 'string', { required: true, defaultValue: 'x' }),
      ],
    };
    const { errors } = buildJobConfig(layers({ definition: strict }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: 'RUN_CONFIG_MISSING',
      message: 'required configuration items without a value: key, hosts',
    });
    expect(buildJobConfig(layers({ definition: strict, pairs: ['key=k', 'hosts=a'] })).errors).toEqual([]);
  });

  it('passes the proxy from the environment as config.proxy, explicit proxy_http/https first', () => {
    expect(buildJobConfig(layers()).config['proxy']).toBeUndefined();
    const fromEnv = buildJobConfig(
      layers({ env: { http_proxy: 'http://proxy:3128', HTTPS_PROXY: 'http://proxy:3129' } }),
    ).config;
    expect(fromEnv['proxy']).toEqual({ http: 'http://proxy:3128', https: 'http://proxy:3129' });
    const explicit = buildJobConfig(
      layers({ env: { https_proxy: 'http://env' }, pairs: ['proxy_https=http://mine'] }),
    ).config;
    expect(explicit['proxy']).toEqual({ https: 'http://mine' });
  });

  it('parses single values by type', () => {
    expect(parseConfigValue('7.5', { type: 'number', multi: false })).toBe(7.5);
    expect(parseConfigValue('', { type: 'number', multi: false })).toBeInstanceOf(Error);
    expect(parseConfigValue('OFF', { type: 'boolean', multi: false })).toBe(false);
    expect(parseConfigValue(' spaced ', { type: 'text', multi: false })).toBe(' spaced ');
  });
});
