import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemblyMode, describeMode, workerPlatforms } from '../../../src/assemble/assembly-mode.js';
import { loadConfig, type Config } from '../../../src/config/load-config.js';
import type { WorkerFolder } from '../../../src/definitions/types.js';
import { formatPlatform } from '../../../src/oci/platform.js';
import { TemplateSet } from '../../../src/render/templates.js';
import { testConfig } from '../../helpers/config.js';

async function repoWith(config: unknown): Promise<{ repo: string; env: NodeJS.ProcessEnv }> {
  const repo = await mkdtemp(path.join(tmpdir(), 'neurons-platforms-'));
  await writeFile(
    path.join(repo, 'neurons.json'),
    JSON.stringify({ registries: [{ host: 'registry.example', namespace: 'cortex' }], ...(config as object) }),
  );
  return { repo, env: { NEURONS_ENV_DIR: await mkdtemp(path.join(tmpdir(), 'neurons-envdir-')) } };
}

const worker = (runtime: WorkerFolder['runtime'], directory = 'HashCalc'): WorkerFolder => ({
  kind: 'analyzer',
  directory,
  path: `analyzers/${directory}`,
  runtime,
  flavors: [],
  definitionFiles: [],
  errorCount: 0,
});
const names = (config: Pick<Config, 'platforms'>): string[] => config.platforms.map(formatPlatform);

describe('platforms in the configuration', () => {
  it('default to linux/amd64 and linux/arm64; the file, NEURONS_PLATFORMS and --platform override in that order', async () => {
    const { repo, env } = await repoWith({});
    expect(names(await loadConfig(repo, env, {}))).toEqual(['linux/amd64', 'linux/arm64']);
    const file = await repoWith({ platforms: ['linux/arm64'] });
    expect(names(await loadConfig(file.repo, file.env, {}))).toEqual(['linux/arm64']);
    expect(
      names(await loadConfig(file.repo, { ...file.env, NEURONS_PLATFORMS: 'linux/amd64, linux/arm/v7' }, {})),
    ).toEqual(['linux/amd64', 'linux/arm/v7']);
    expect(
      names(
        await loadConfig(
          file.repo,
          { ...file.env, NEURONS_PLATFORMS: 'linux/arm/v7' },
          { platforms: ['linux/amd64,linux/arm64', 'linux/arm64/v8'] },
        ),
      ),
    ).toEqual(['linux/amd64', 'linux/arm64']);
  });

  it('refuses what is not a platform, naming the file and the field, before anything else', async () => {
    const { repo, env } = await repoWith({ platforms: ['linux/amd64', 'amd64'] });
    const error = (await loadConfig(repo, env, {}).catch((caught: unknown) => caught)) as {
      problem?: { code: string; file: string; pointer: string };
    };
    expect(error.problem).toMatchObject({
      code: 'PLATFORM_INVALID',
      file: path.join(repo, 'neurons.json'),
      pointer: '/platforms/1',
    });
    const perWorker = await repoWith({ workers: { HashCalc: { platforms: ['linux//arm64'] } } });
    const workerError = (await loadConfig(perWorker.repo, perWorker.env, {}).catch((caught: unknown) => caught)) as {
      problem?: { code: string; pointer: string };
    };
    expect(workerError.problem).toMatchObject({ code: 'PLATFORM_INVALID', pointer: '/workers/HashCalc/platforms/0' });
    const flag = await repoWith({});
    const flagError = (await loadConfig(flag.repo, flag.env, { platforms: ['linux/amd64;rm'] }).catch(
      (caught: unknown) => caught,
    )) as { problem?: { code: string; file: string } };
    expect(flagError.problem).toMatchObject({ code: 'PLATFORM_INVALID', file: '--platform' });
  });

  it('takes a worker own platforms over the repository ones', () => {
    const config: Config = {
      ...testConfig,
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64' },
      ],
      workers: { HashCalc: { platforms: ['linux/arm64'] } },
    };
    expect(workerPlatforms(config, worker('python')).map(formatPlatform)).toEqual(['linux/arm64']);
    expect(workerPlatforms(config, worker('python', 'Other')).map(formatPlatform)).toEqual([
      'linux/amd64',
      'linux/arm64',
    ]);
  });
});

describe('how a folder images are made', () => {
  const both: Config = {
    ...testConfig,
    platforms: [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
    ],
  };
  const templates = new TemplateSet();
  const pushing = { offline: false, push: true };

  it('assembles Python and Node workers on the built-in templates in the registry, for every platform', () => {
    for (const runtime of ['python', 'node'] as const) {
      const mode = assemblyMode(both, worker(runtime), templates, pushing);
      expect(mode).toEqual({ mode: 'registry', platforms: both.platforms });
      expect(describeMode(mode)).toBe('assembled in the registry for linux/amd64, linux/arm64');
    }
  });

  it('leaves the rest to the engine, for its own platform, and says why', () => {
    const cases: Array<[Config, WorkerFolder, { offline: boolean; push: boolean }, string]> = [
      [both, worker('go'), pushing, 'the go runtime'],
      [both, worker('custom'), pushing, 'its own Dockerfile'],
      [{ ...both, assemble: false }, worker('python'), pushing, 'assemble is false'],
      [{ ...both, trust: { caPems: ['PEM'], runtime: true } }, worker('python'), pushing, 'trust.runtime'],
      [both, worker('python'), { offline: true, push: true }, '--offline'],
      [both, worker('python'), { offline: false, push: false }, 'nothing is pushed'],
      [
        {
          ...both,
          workers: { HashCalc: { template: 'python-slim' } },
          templates: { 'python-slim': '/somewhere/python-slim.hbs' },
        },
        worker('python'),
        pushing,
        'a template of the configuration',
      ],
    ];
    for (const [config, folder, options, reason] of cases) {
      const mode = assemblyMode(config, folder, new TemplateSet(config.templates), options);
      expect(mode.mode).toBe('engine');
      expect(mode.platforms.map(formatPlatform)).toEqual(['linux/amd64']);
      expect(describeMode(mode)).toContain(reason);
    }
  });

  it('refuses an engine-built worker whose platforms leave out the engine own (PLATFORM_ENGINE_ONLY)', () => {
    const armOnly: Config = { ...testConfig, platforms: [{ os: 'linux', architecture: 'arm64' }] };
    expect(() => assemblyMode(armOnly, worker('go'), templates, pushing)).toThrow(
      expect.objectContaining({
        problem: expect.objectContaining({ code: 'PLATFORM_ENGINE_ONLY', file: 'analyzers/HashCalc' }),
      }),
    );
    expect(assemblyMode(armOnly, worker('python'), templates, pushing).platforms.map(formatPlatform)).toEqual([
      'linux/arm64',
    ]);
  });
});
