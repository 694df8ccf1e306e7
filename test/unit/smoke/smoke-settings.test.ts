import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { smokeRunSettings } from '../../../src/smoke/smoke-settings.js';

async function repoWith(config: unknown): Promise<{ repo: string; env: NodeJS.ProcessEnv; file: string }> {
  const repo = await mkdtemp(path.join(tmpdir(), 'neurons-smoke-settings-'));
  const file = path.join(repo, 'neurons.json');
  await writeFile(
    file,
    JSON.stringify({ registries: [{ host: 'registry.example', namespace: 'cortex' }], ...(config as object) }),
  );
  return { repo, env: { NEURONS_ENV_DIR: await mkdtemp(path.join(tmpdir(), 'neurons-envdir-')) }, file };
}

async function problemOf(config: unknown): Promise<{ problem: Record<string, unknown>; file: string }> {
  const { repo, env, file } = await repoWith(config);
  const error = (await loadConfig(repo, env, {}).then(
    () => undefined,
    (caught: unknown) => caught,
  )) as { problem?: Record<string, unknown> } | undefined;
  if (!error?.problem) throw new Error('the configuration was accepted');
  return { problem: error.problem, file };
}

describe('smoke settings of a worker', () => {
  it('run without network unless the worker asks for it, and carry the reason to skip', () => {
    expect(smokeRunSettings(undefined)).toEqual({ network: 'none' });
    expect(smokeRunSettings({ network: false })).toEqual({ network: 'none' });
    expect(smokeRunSettings({ network: true })).toEqual({ network: 'host' });
    expect(smokeRunSettings({ skip: 'needs a licensed service' })).toEqual({
      network: 'none',
      skip: 'needs a licensed service',
    });
  });

  it('are read from workers.<Dir>.smoke', async () => {
    const { repo, env } = await repoWith({
      workers: {
        HashCalc: { smoke: { network: true } },
        'responders/TagCase': { smoke: { skip: 'talks to TheHive only' } },
      },
    });
    const config = await loadConfig(repo, env, {});
    expect(config.workers['HashCalc']?.smoke).toEqual({ network: true });
    expect(config.workers['responders/TagCase']?.smoke).toEqual({ skip: 'talks to TheHive only' });
  });

  it('refuse bad values with a code, the file and the field', async () => {
    const network = await problemOf({ workers: { HashCalc: { smoke: { network: 'yes' } } } });
    expect(network.problem).toMatchObject({
      code: 'CONFIG_INVALID',
      file: network.file,
      pointer: '/workers/HashCalc/smoke/network',
    });
    const unknown = await problemOf({ workers: { HashCalc: { smoke: { netwrok: true } } } });
    expect(unknown.problem).toMatchObject({
      code: 'CONFIG_INVALID',
      pointer: '/workers/HashCalc/smoke',
      message: expect.stringContaining('netwrok'),
    });
    const skipFlag = await problemOf({ workers: { HashCalc: { smoke: { skip: true } } } });
    expect(skipFlag.problem).toMatchObject({ code: 'CONFIG_INVALID', pointer: '/workers/HashCalc/smoke/skip' });
    const blank = await problemOf({ workers: { 'analyzers/HashCalc': { smoke: { skip: '  ' } } } });
    expect(blank.problem).toMatchObject({
      code: 'CONFIG_SMOKE_SKIP_REASON',
      file: blank.file,
      pointer: '/workers/analyzers~1HashCalc/smoke/skip',
      hint: expect.stringContaining('why'),
    });
  });
});
