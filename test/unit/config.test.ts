import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../../src/ca/certificates.js';
import { loadConfig } from '../../src/config/load-config.js';
import { publicBaseImages } from '../../src/config/public-base-images.js';
import { writeEnvironmentState } from '../../src/state/environment-state.js';
import { maskSecrets } from '../../src/util/mask.js';

async function repoWithConfig(config: unknown): Promise<string> {
  const repo = await mkdtemp(path.join(tmpdir(), 'neurons-config-'));
  if (config !== undefined)
    await writeFile(path.join(repo, 'neurons.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return repo;
}

/** An environment directory with no state: the fallback must not leak in from the machine running the tests. */
async function emptyEnvironment(): Promise<NodeJS.ProcessEnv> {
  return { NEURONS_ENV_DIR: await mkdtemp(path.join(tmpdir(), 'neurons-envdir-')) };
}

/** An environment directory holding a recorded local environment (registry 127.0.0.1:5999), with its CA's PEM. */
async function recordedEnvironment(): Promise<{ env: NodeJS.ProcessEnv; ca: string }> {
  const env = await emptyEnvironment();
  const directory = env['NEURONS_ENV_DIR'] as string;
  const ca = createCertificateAuthority({ commonName: 'x', days: 1 });
  await mkdir(path.join(directory, 'ca'));
  await writeFile(path.join(directory, 'ca', 'ca.crt'), ca.certificatePem);
  await writeEnvironmentState({
    version: 1,
    directory,
    caFile: path.join(directory, 'ca', 'ca.crt'),
    registry: { host: '127.0.0.1:5999', username: 'neurons', password: 'state-pass', namespace: 'neurons' },
    mirror: { host: '127.0.0.1:5997' },
    baseImages: {
      python: '127.0.0.1:5999/base/python:x',
      go: '127.0.0.1:5999/base/golang:x',
      node: '127.0.0.1:5999/base/node:x',
    },
    packageIndex: { url: 'https://127.0.0.1:5998/simple/', username: 'pip', password: 'index-pass' },
    pids: {},
  });
  return { env, ca: ca.certificatePem };
}

describe('configuration', () => {
  it('reads registries, resolving the password from the variable the file names', async () => {
    const repo = await repoWithConfig({
      registries: [{ host: 'registry.example:5000', namespace: 'cortex', username: 'ci', passwordEnv: 'REG_PASS' }],
      baseImages: { python: 'mirror.example/python:3.11' },
      channel: 'devel',
      output: 'out',
    });
    const config = await loadConfig(repo, { ...(await emptyEnvironment()), REG_PASS: 'pw-from-env' }, {});
    expect(config.registries).toEqual([
      {
        host: 'registry.example:5000',
        namespace: 'cortex',
        credentials: { username: 'ci', password: 'pw-from-env' },
        ca: [],
        plainHttp: false,
        insecure: false,
      },
    ]);
    expect(config.baseImages.python).toBe('mirror.example/python:3.11');
    expect(config.channel).toBe('devel');
    expect(config.output).toBe(path.join(repo, 'out'));
  });

  it('lets environment variables and flags override the file, flags last', async () => {
    const repo = await repoWithConfig({ registries: [{ host: 'a.example', namespace: 'one' }], channel: 'devel' });
    const env = {
      ...(await emptyEnvironment()),
      NEURONS_REGISTRY: 'b.example',
      NEURONS_NAMESPACE: 'two',
      NEURONS_CHANNEL: 'stable',
      NEURONS_BASE_GO: 'mirror/go:1',
    };
    const config = await loadConfig(repo, env, { namespace: 'three', channel: 'devel' });
    expect(config.registries.map((registry) => `${registry.host}/${registry.namespace}`)).toEqual(['b.example/three']);
    expect(config.channel).toBe('devel');
    expect(config.baseImages.go).toBe('mirror/go:1');
  });

  it('lower-cases a namespace from a flag or variable, and gives it to the registries of the file', async () => {
    const repo = await repoWithConfig({
      registries: [
        { host: 'a.example', namespace: 'one' },
        { host: 'c.example', namespace: 'other' },
      ],
    });
    // A CI's owner name as it comes (`github.repository_owner`).
    const fromVariable = await loadConfig(
      repo,
      { ...(await emptyEnvironment()), NEURONS_NAMESPACE: 'TheHive-Project' },
      {},
    );
    expect(fromVariable.registries.map((registry) => `${registry.host}/${registry.namespace}`)).toEqual([
      'a.example/thehive-project',
      'c.example/thehive-project',
    ]);
    const fromFlag = await loadConfig(
      repo,
      { ...(await emptyEnvironment()), NEURONS_REGISTRY: 'b.example' },
      { namespace: 'SOC/Workers' },
    );
    expect(fromFlag.registries.map((registry) => `${registry.host}/${registry.namespace}`)).toEqual([
      'b.example/soc/workers',
    ]);
  });

  it('reports every schema problem with the file and pointer', async () => {
    const repo = await repoWithConfig({ registries: [{ host: 'has space', namespace: 'UPPER' }], colour: 'blue' });
    const error = await loadConfig(repo, await emptyEnvironment(), {}).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'CONFIG_INVALID',
      exitCode: 2,
      problem: { file: path.join(repo, 'neurons.json') },
    });
    const message = (error as Error).message;
    expect(message).toContain('/registries/0/host');
    expect(message).toContain('/registries/0/namespace');
    expect(message).toContain('colour');
  });

  it('goProxy: from the file, NEURONS_GOPROXY over it (empty is unset), its password masked, anything but a URL refused', async () => {
    const repo = await repoWithConfig({
      registries: [{ host: 'a.example', namespace: 'n' }],
      goProxy: 'https://proxy.example/',
    });
    const env = await emptyEnvironment();
    expect((await loadConfig(repo, env, {})).goProxy).toBe('https://proxy.example/');
    expect((await loadConfig(repo, { ...env, NEURONS_GOPROXY: '' }, {})).goProxy).toBe('https://proxy.example/');
    const fromVariable = await loadConfig(
      repo,
      { ...env, NEURONS_GOPROXY: 'https://ci:go-proxy-pass@goproxy.example/' },
      {},
    );
    expect(fromVariable.goProxy).toBe('https://ci:go-proxy-pass@goproxy.example/');
    expect(maskSecrets('GOPROXY=https://ci:go-proxy-pass@goproxy.example/')).not.toContain('go-proxy-pass');
    await expect(loadConfig(repo, { ...env, NEURONS_GOPROXY: 'direct' }, {})).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    await expect(
      loadConfig(
        await repoWithConfig({ registries: [{ host: 'a.example', namespace: 'n' }], goProxy: 'off' }),
        env,
        {},
      ),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', problem: { pointer: '/goProxy' } });
    expect(
      (await loadConfig(await repoWithConfig({ registries: [{ host: 'a.example', namespace: 'n' }] }), env, {}))
        .goProxy,
    ).toBeUndefined();
  });

  it('rejects malformed JSON and a password variable that is not set', async () => {
    await expect(loadConfig(await repoWithConfig('{ nope'), await emptyEnvironment(), {})).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    const repo = await repoWithConfig({
      registries: [{ host: 'a.example', namespace: 'n', username: 'u', passwordEnv: 'NOT_SET_ANYWHERE' }],
    });
    await expect(loadConfig(repo, await emptyEnvironment(), {})).rejects.toMatchObject({
      code: 'CONFIG_SECRET_MISSING',
      problem: { pointer: '/registries/0/passwordEnv' },
    });
  });

  it('fails with a hint when no registry is configured and no environment is up', async () => {
    await expect(loadConfig(await repoWithConfig(undefined), await emptyEnvironment(), {})).rejects.toMatchObject({
      code: 'CONFIG_NO_REGISTRY',
      problem: { hint: expect.stringContaining('neurons env up') },
    });
  });

  it('falls back to the local environment recorded in the state file when nothing names a registry, and says so', async () => {
    const { env, ca } = await recordedEnvironment();
    const config = await loadConfig(await repoWithConfig({ baseImages: { node: 'own/node:20' } }), env, {});
    expect(config.registries[0]).toMatchObject({
      host: '127.0.0.1:5999',
      namespace: 'neurons',
      credentials: { username: 'neurons', password: 'state-pass' },
      ca: [ca],
    });
    expect(config.baseImages).toEqual({
      python: '127.0.0.1:5999/base/python:x',
      go: '127.0.0.1:5999/base/golang:x',
      node: 'own/node:20',
    });
    expect(config.packageIndex).toEqual({
      url: 'https://127.0.0.1:5998/simple/',
      extraUrl: undefined,
      credentials: { username: 'pip', password: 'index-pass' },
      caPem: ca,
    });
    expect(config.notice).toBe(
      `no registry configured: using the local environment (127.0.0.1:5999, from ${path.join(env['NEURONS_ENV_DIR'] as string, 'state.json')})`,
    );
    expect(config.sources).toContain(`${path.join(env['NEURONS_ENV_DIR'] as string, 'state.json')} (registry)`);
    // Under the home folder, the notice writes the path as a user would.
    const underHome = await loadConfig(
      await repoWithConfig(undefined),
      { ...env, HOME: path.dirname(env['NEURONS_ENV_DIR'] as string) },
      {},
    );
    expect(underHome.notice).toContain(`from ~/${path.basename(env['NEURONS_ENV_DIR'] as string)}/state.json)`);
  });

  it('takes nothing from the local environment once a registry is named: public base images, no package index', async () => {
    const { env } = await recordedEnvironment();
    const named = [
      {
        repo: await repoWithConfig({ registries: [{ host: 'registry.example', namespace: 'cortex' }] }),
        env,
        overrides: {},
      },
      { repo: await repoWithConfig(undefined), env: { ...env, NEURONS_REGISTRY: 'registry.example' }, overrides: {} },
      { repo: await repoWithConfig(undefined), env, overrides: { registry: 'registry.example' } },
    ];
    for (const { repo, env: variables, overrides } of named) {
      const config = await loadConfig(repo, variables, overrides);
      expect(config.registries.map((registry) => registry.host)).toEqual(['registry.example']);
      expect(config.baseImages).toEqual({ ...publicBaseImages });
      expect(config.packageIndex).toBeUndefined();
      expect(config.notice).toBeUndefined();
      expect(config.sources.join(' ')).not.toContain('state.json');
    }
    // Base images and an index configured win, named registry or not.
    const configured = {
      baseImages: { python: 'mirror.example/python:3.11' },
      packageIndex: { url: 'https://pypi.example/simple/' },
    };
    const withRegistry = await loadConfig(
      await repoWithConfig({ registries: [{ host: 'registry.example', namespace: 'cortex' }], ...configured }),
      env,
      {},
    );
    expect(withRegistry.baseImages).toEqual({ ...publicBaseImages, python: 'mirror.example/python:3.11' });
    expect(withRegistry.packageIndex?.url).toBe('https://pypi.example/simple/');
    const fromVariables = await loadConfig(
      await repoWithConfig(undefined),
      {
        ...env,
        NEURONS_REGISTRY: 'registry.example',
        NEURONS_BASE_GO: 'mirror.example/golang:1.19',
        NEURONS_PIP_INDEX_URL: 'https://pypi.example/simple/',
      },
      {},
    );
    expect(fromVariables.baseImages).toEqual({ ...publicBaseImages, go: 'mirror.example/golang:1.19' });
    expect(fromVariables.packageIndex?.url).toBe('https://pypi.example/simple/');
    const local = await loadConfig(
      await repoWithConfig(configured),
      { ...env, NEURONS_BASE_GO: 'mirror.example/golang:1.19' },
      {},
    );
    expect(local.baseImages).toEqual({
      python: 'mirror.example/python:3.11',
      go: 'mirror.example/golang:1.19',
      node: '127.0.0.1:5999/base/node:x',
    });
    expect(local.packageIndex?.url).toBe('https://pypi.example/simple/');
  });

  it('with no environment recorded, a named registry still gets the public base images', async () => {
    const config = await loadConfig(
      await repoWithConfig(undefined),
      { ...(await emptyEnvironment()), NEURONS_REGISTRY: 'registry.example' },
      {},
    );
    expect(config.baseImages).toEqual({ ...publicBaseImages });
    expect(config.packageIndex).toBeUndefined();
  });
});
