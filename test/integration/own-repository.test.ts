import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { environmentState, fixture, runCli, uniqueNamespace } from '../helpers/environment.js';

// The README's "Your own repository, step by step", played on a fresh repository with two workers and no local
// environment recorded: the registry is configured in neurons.json as a user configures a private one (its host,
// its CA, credentials by variable, base images on a mirror), not taken from `neurons env up`'s state.
describe('your own repository, step by step', () => {
  const created: string[] = [];
  afterAll(async () => Promise.all(created.map((directory) => rm(directory, { recursive: true, force: true }))));

  it('init, validate, keys, pipeline to a private registry, then update --install on the engine side', async () => {
    const state = await environmentState();
    const repo = await mkdtemp(path.join(tmpdir(), 'neurons-own-'));
    created.push(repo);
    for (const worker of ['FileTriage', 'IPClassifier'])
      await cp(path.join(fixture, 'analyzers', worker), path.join(repo, 'analyzers', worker), { recursive: true });
    const git = (...args: string[]): string =>
      execFileSync('git', ['-C', repo, ...args], {
        encoding: 'utf8',
        env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' },
      });
    git('init', '--quiet', '--initial-branch=main');
    const namespace = uniqueNamespace('own');
    // Nothing recorded by `neurons env up` is used: an empty environment folder.
    const env = {
      NEURONS_ENV_DIR: await mkdtemp(path.join(tmpdir(), 'neurons-no-env-')),
      NEURONS_REGISTRY_USERNAME: state.registry.username,
      NEURONS_REGISTRY_PASSWORD: state.registry.password,
    };
    created.push(env.NEURONS_ENV_DIR);

    // 2. Set it up.
    const init = await runCli(
      [
        'init',
        '--repo',
        repo,
        '--registry',
        state.registry.host,
        '--namespace',
        namespace,
        '--platform',
        'linux/amd64',
      ],
      env,
    );
    expect(init.status, init.stderr).toBe(0);
    // 3. Point the configuration at the private registry's CA and the base images at the mirror.
    const configFile = path.join(repo, 'neurons.json');
    const config = JSON.parse(await readFile(configFile, 'utf8')) as {
      registries: Array<Record<string, unknown>>;
      baseImages: Record<string, string>;
    };
    expect(config.registries[0]).toMatchObject({
      host: state.registry.host,
      namespace,
      usernameEnv: 'NEURONS_REGISTRY_USERNAME',
      passwordEnv: 'NEURONS_REGISTRY_PASSWORD',
    });
    config.registries[0] = { ...config.registries[0], ca: [state.caFile] };
    config.baseImages = { python: state.baseImages.python, node: state.baseImages.node, go: state.baseImages.go };
    await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
    git('add', '-A');
    git('-c', 'user.name=Test', '-c', 'user.email=test@neurons.invalid', 'commit', '--quiet', '-m', 'workers');

    // 4. Check the definitions; 5. make the signing key.
    const validate = await runCli(['validate', '--repo', repo], env);
    expect(validate.status, validate.stdout + validate.stderr).toBe(0);
    const keys = await runCli(['keys', 'generate', '--output', path.join(repo, 'keys')], env);
    expect(keys.status, keys.stderr).toBe(0);

    // 6. Run it: built, smoke-tested, pushed, catalogs written and signed.
    const catalogs = path.join(repo, 'catalogs');
    const pipeline = await runCli(
      ['pipeline', '--repo', repo, '--output', catalogs, '--sign', path.join(repo, 'keys', 'neurons-index.key')],
      env,
    );
    expect(pipeline.status, pipeline.stdout + pipeline.stderr.slice(-3000)).toBe(0);
    const published = JSON.parse(await readFile(path.join(catalogs, 'analyzers.json'), 'utf8')) as Array<{
      name: string;
      dockerImage: string;
    }>;
    expect(published.map((entry) => [entry.name, entry.dockerImage])).toEqual([
      ['FileTriage', `${state.registry.host}/${namespace}/filetriage:1`],
      ['IPClassifier', `${state.registry.host}/${namespace}/ipclassifier:3`],
    ]);

    // 8. On the engine: verified against the public key and installed where Cortex reads it.
    const installed = path.join(repo, 'cortex');
    const update = await runCli(
      [
        'update',
        '--catalog',
        catalogs,
        '--key',
        path.join(repo, 'keys', 'neurons-index.pub'),
        '--install',
        installed,
        '--state',
        path.join(repo, 'update-state'),
      ],
      env,
    );
    expect(update.status, update.stdout + update.stderr).toBe(0);
    const forCortex = JSON.parse(await readFile(path.join(installed, 'analyzers.json'), 'utf8')) as Array<{
      name: string;
      dockerImage: string;
    }>;
    expect(forCortex.map((entry) => entry.name)).toEqual(['FileTriage', 'IPClassifier']);
    for (const entry of forCortex)
      expect(entry.dockerImage).toMatch(
        new RegExp(`^${state.registry.host}/${namespace}/[a-z]+:\\d+@sha256:[0-9a-f]{64}$`),
      );
  });
});
