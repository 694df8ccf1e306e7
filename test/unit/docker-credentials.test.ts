import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDockerCredentials } from '../../src/registry/docker-credentials.js';

async function dockerConfig(config: object): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'neurons-docker-config-'));
  await writeFile(path.join(directory, 'config.json'), JSON.stringify(config));
  return directory;
}

describe('credentials from the Docker client configuration', () => {
  it('reads auths, including Docker Hub under its legacy index URL', async () => {
    const directory = await dockerConfig({
      auths: {
        'registry.example:5000': { auth: Buffer.from('ci:s3cret:with:colons').toString('base64') },
        'https://index.docker.io/v1/': { auth: Buffer.from('hub:hubpass').toString('base64') },
      },
    });
    expect(await readDockerCredentials('registry.example:5000', { DOCKER_CONFIG: directory })).toEqual({
      username: 'ci',
      password: 's3cret:with:colons',
    });
    expect(await readDockerCredentials('docker.io', { DOCKER_CONFIG: directory })).toEqual({
      username: 'hub',
      password: 'hubpass',
    });
    expect(await readDockerCredentials('other.example', { DOCKER_CONFIG: directory })).toBeUndefined();
  });

  it('asks a credential helper (credHelpers first, then credsStore)', async () => {
    const bin = await mkdtemp(path.join(tmpdir(), 'neurons-helper-'));
    const helper = path.join(bin, 'docker-credential-fake');
    await writeFile(
      helper,
      '#!/bin/sh\nread server\necho "{\\"Username\\":\\"from-helper\\",\\"Secret\\":\\"helper-$server\\"}"\n',
    );
    await chmod(helper, 0o755);
    const directory = await dockerConfig({ credHelpers: { 'registry.example': 'fake' }, credsStore: 'fake' });
    const env = { DOCKER_CONFIG: directory, PATH: `${bin}:${process.env['PATH'] ?? ''}` };
    const previous = process.env['PATH'];
    process.env['PATH'] = env.PATH;
    try {
      expect(await readDockerCredentials('registry.example', env)).toEqual({
        username: 'from-helper',
        password: 'helper-registry.example',
      });
      expect(await readDockerCredentials('elsewhere.example', env)).toEqual({
        username: 'from-helper',
        password: 'helper-elsewhere.example',
      });
    } finally {
      process.env['PATH'] = previous;
    }
  });

  it('has nothing to say without a configuration file', async () => {
    expect(
      await readDockerCredentials('registry.example', { DOCKER_CONFIG: path.join(tmpdir(), 'no-such-folder-neurons') }),
    ).toBeUndefined();
  });
});
