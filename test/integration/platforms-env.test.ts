import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import { environmentState } from '../helpers/environment.js';

interface IndexJson {
  mediaType?: string;
  manifests?: Array<{ digest: string; platform?: { os?: string; architecture?: string } }>;
}

/** Runs a command to completion and returns its output; fails the test with its output otherwise. */
function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 600_000 });
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status ?? result.signal}:\n${result.stderr}${result.stdout}`,
    );
  return result.stdout;
}

// The base images the global setup's `neurons env up` built, read with skopeo (a client independent of ours) and run
// by the engine, on this machine's platform and on arm64 through QEMU.
describe('base images of the environment, for linux/amd64 and linux/arm64', () => {
  let state: EnvironmentState;
  let certificates: string;
  const skopeo = (args: string[], reference: string): string =>
    run('skopeo', [
      'inspect',
      ...args,
      '--cert-dir',
      certificates,
      '--creds',
      `${state.registry.username}:${state.registry.password}`,
      `docker://${reference}`,
    ]);
  /** Images pulled by digest here, removed at the end: no tag of the engine moves, so other tests keep theirs. */
  const pulled: string[] = [];

  beforeAll(async () => {
    state = await environmentState();
    certificates = await mkdtemp(path.join(tmpdir(), 'neurons-skopeo-'));
    await copyFile(state.caFile, path.join(certificates, 'ca.crt'));
  });
  afterAll(async () => {
    for (const image of pulled) spawnSync('docker', ['image', 'rm', '--force', image], { stdio: 'ignore' });
    await rm(certificates, { recursive: true, force: true });
  });

  it.each(['python', 'go', 'node'] as const)(
    'the %s base is an OCI image index of linux/amd64 and linux/arm64',
    (runtime) => {
      const reference = state.baseImages[runtime];
      const index = JSON.parse(skopeo(['--raw'], reference)) as IndexJson;
      expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
      expect(
        (index.manifests ?? []).map((manifest) => `${manifest.platform?.os}/${manifest.platform?.architecture}`).sort(),
      ).toEqual(['linux/amd64', 'linux/arm64']);
      for (const architecture of ['amd64', 'arm64']) {
        const config = JSON.parse(
          skopeo(['--config', '--override-os', 'linux', '--override-arch', architecture], reference),
        ) as { architecture?: string; config?: { Labels?: Record<string, string> } };
        expect(config.architecture, `${reference} for ${architecture}`).toBe(architecture);
        expect(config.config?.Labels?.['io.neurons.base-recipe']).toMatch(/^[0-9a-f]{16}$/);
        if (runtime === 'python') expect(config.config?.Labels?.['io.neurons.python-version']).toBe('3.11');
      }
      expect(state.basePlatforms?.[runtime]).toEqual(['linux/amd64', 'linux/arm64']);
    },
  );

  it('runs the python base on arm64 through QEMU, and on amd64', () => {
    const reference = state.baseImages.python;
    const index = JSON.parse(skopeo(['--raw'], reference)) as IndexJson;
    // Each platform by its own manifest's digest: Docker 20.10's image store binds a tag or a digest to one image, so
    // running the index (its tag or digest) for arm64 would leave the engine's `FROM` of it on arm64 for other tests.
    const machine = (architecture: string): string => {
      const digest =
        index.manifests?.find((manifest) => manifest.platform?.architecture === architecture)?.digest ??
        `(no ${architecture} manifest)`;
      const image = `${reference.replace(/:[^:/]+$/, '')}@${digest}`;
      pulled.push(image);
      return run('docker', [
        'run',
        '--rm',
        '--platform',
        `linux/${architecture}`,
        '--network',
        'host',
        image,
        'python3',
        '-c',
        'import platform; print(platform.machine())',
      ]).trim();
    };
    expect(machine('arm64')).toBe('aarch64');
    expect(machine('amd64')).toBe('x86_64');
  });
});
