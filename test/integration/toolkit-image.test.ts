import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import {
  copyFixture,
  environmentState,
  environmentVariables,
  registryClient,
  root,
  uniqueNamespace,
} from '../helpers/environment.js';

interface Run {
  status: number;
  output: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status: status ?? -1, output }));
  });
}

// The toolkit's own image, built from this tree on the environment's offline Node 20 base (dependencies from the
// npm cache, no network), then used as CI would use it: a Drone plugin step with the engine's socket.
describe('the toolkit image', () => {
  let state: EnvironmentState;
  const tag = `neurons-toolkit:${uniqueNamespace('test')}`;
  beforeAll(async () => {
    state = await environmentState();
    expect(state.toolkitBase, 'neurons env up records the toolkit base').toMatch(/base\/node:20-trixie$/);
    const built = await run(process.execPath, [
      path.join(root, 'scripts', 'build-image.mjs'),
      '--base',
      state.toolkitBase ?? '',
      '--tag',
      tag,
      '--offline',
    ]);
    expect(built.status, built.output).toBe(0);
  });
  afterAll(async () => {
    await run('docker', ['image', 'rm', '--force', tag]);
  });

  it('holds the packed toolkit on Node 20 with git, and runs as a plugin from PLUGIN_* settings', async () => {
    const versions = await run('docker', [
      'run',
      '--rm',
      '--entrypoint',
      'sh',
      tag,
      '-c',
      'node --version && git --version && ls /opt/neurons && ls /opt/neurons/node_modules',
    ]);
    expect(versions.status, versions.output).toBe(0);
    const [node = '', git = '', ...listed] = versions.output.split('\n').filter(Boolean);
    expect(node).toMatch(/^v2\d\./);
    expect(git).toMatch(/^git version/);
    // Only the package's files and its production dependencies: no sources, tests or dev tools.
    expect(listed.slice(0, 6)).toEqual(['README.md', 'bin', 'dist', 'node_modules', 'package.json', 'templates']);
    expect(listed).toContain('dockerode');
    expect(listed).not.toContain('vitest');
    expect(listed).not.toContain('typescript');
    const repo = await copyFixture();
    const validate = await run('docker', [
      'run',
      '--rm',
      '--network',
      'host',
      '-v',
      `${repo}:/drone/src:ro`,
      '-e',
      'PLUGIN_COMMAND=validate',
      tag,
    ]);
    expect(validate.status, validate.output).toBe(0);
    expect(validate.output).toContain('0 errors');
    // A broken definition: the exit code of the step says so.
    await writeFile(path.join(repo, 'analyzers', 'FileTriage', 'FileTriage.json'), '{"name": ');
    const broken = await run('docker', [
      'run',
      '--rm',
      '--network',
      'host',
      '-v',
      `${repo}:/drone/src:ro`,
      '-e',
      'PLUGIN_COMMAND=validate',
      tag,
    ]);
    expect(broken.status).toBe(1);
    expect(broken.output).toContain('DEF_JSON_SYNTAX');
  });

  it('builds and pushes through the engine socket to the TLS registry, without showing the password', async () => {
    const repo = await copyFixture();
    const namespace = uniqueNamespace('toolkit');
    // The environment's base images and package index, named as the registry is (NEURONS_TRUST_CA trusts its CA).
    const { NEURONS_PIP_INDEX_CA: _hostCa, ...variables } = environmentVariables(state);
    const pushed = await run(
      'docker',
      [
        'run',
        '--rm',
        '--network',
        'host',
        '-v',
        '/var/run/docker.sock:/var/run/docker.sock',
        '-v',
        `${state.caFile}:/ca.crt:ro`,
        '-v',
        `${repo}:/drone/src`,
        '-e',
        `NEURONS_REGISTRY=${state.registry.host}`,
        '-e',
        `NEURONS_NAMESPACE=${namespace}`,
        '-e',
        `PLUGIN_USERNAME=${state.registry.username}`,
        // The password reaches the container through the environment of `docker run`, never its command line.
        '-e',
        'PLUGIN_PASSWORD',
        '-e',
        'NEURONS_TRUST_CA=/ca.crt',
        // By name only: the values (the index password among them) come from the environment of `docker run`.
        ...Object.keys(variables).flatMap((name) => ['-e', name]),
        '-e',
        'PLUGIN_COMMAND=push',
        '-e',
        'PLUGIN_ONLY=FileTriage',
        '-e',
        'PLUGIN_SKIP_TESTS=true',
        tag,
      ],
      { ...process.env, ...variables, PLUGIN_PASSWORD: state.registry.password },
    );
    expect(pushed.status, pushed.output).toBe(0);
    expect(pushed.output).toMatch(/FileTriage_1_0\s+pushed/);
    expect(pushed.output).not.toContain(state.registry.password);
    const client = registryClient(state);
    expect(await client.headManifest(`${namespace}/filetriage`, '1.0')).toMatchObject({
      digest: expect.stringMatching(/^sha256:/),
    });
    await client.close();
  });
});
