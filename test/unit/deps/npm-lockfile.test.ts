import { describe, expect, it } from 'vitest';
import { admits, npmCpu, readLockfile } from '../../../src/deps/npm-lockfile.js';
import { npmrcText } from '../../../src/deps/npm.js';

const lockfile = (packages: Record<string, object>, lockfileVersion = 3): string =>
  JSON.stringify({
    name: 'w',
    version: '1.0.0',
    lockfileVersion,
    requires: true,
    packages: { '': { name: 'w', version: '1.0.0' }, ...packages },
  });

const linuxArm = { os: 'linux', cpu: 'arm64' };

describe('package-lock.json', () => {
  it('gives the production packages with their versions and integrity, nested ones included, sorted by name', () => {
    const reading = readLockfile(
      lockfile({
        'node_modules/zod': {
          version: '3.23.8',
          resolved: 'https://registry.npmjs.org/zod/-/zod-3.23.8.tgz',
          integrity: 'sha512-zod',
        },
        'node_modules/@scope/lib': { version: '1.0.0', resolved: 'file:vendor/lib-1.0.0.tgz', integrity: 'sha512-lib' },
        'node_modules/zod/node_modules/semver': { version: '7.6.3', integrity: 'sha512-semver' },
        'node_modules/vitest': { version: '2.0.0', dev: true, hasInstallScript: true },
      }),
      linuxArm,
    );
    expect(reading).toEqual({
      kind: 'resolved',
      packages: [
        { name: '@scope/lib', version: '1.0.0', integrity: 'sha512-lib' },
        { name: 'semver', version: '7.6.3', integrity: 'sha512-semver' },
        {
          name: 'zod',
          version: '3.23.8',
          integrity: 'sha512-zod',
          url: 'https://registry.npmjs.org/zod/-/zod-3.23.8.tgz',
        },
      ],
      files: ['vendor/lib-1.0.0.tgz'],
    });
  });

  it('leaves out the optional packages of other platforms, as npm ci --os --cpu does', () => {
    const text = lockfile({
      'node_modules/@esbuild/linux-arm64': { version: '0.23.1', optional: true, os: ['linux'], cpu: ['arm64'] },
      'node_modules/@esbuild/linux-x64': { version: '0.23.1', optional: true, os: ['linux'], cpu: ['x64'] },
      'node_modules/fsevents': { version: '2.3.3', optional: true, os: ['darwin'] },
    });
    const names = (target: { os: string; cpu: string }): string[] => {
      const reading = readLockfile(text, target);
      return reading.kind === 'resolved' ? reading.packages.map((item) => item.name) : [];
    };
    expect(names(linuxArm)).toEqual(['@esbuild/linux-arm64']);
    expect(names({ os: 'linux', cpu: 'x64' })).toEqual(['@esbuild/linux-x64']);
  });

  it('leaves a package with an install script to the engine', () => {
    const reading = readLockfile(
      lockfile({ 'node_modules/sharp': { version: '0.33.5', hasInstallScript: true } }),
      linuxArm,
    );
    expect(reading).toEqual({ kind: 'engine', reason: 'sharp@0.33.5 has an install script' });
  });

  it('leaves a linked folder and an old lockfile to the engine', () => {
    expect(
      readLockfile(lockfile({ 'node_modules/local': { resolved: 'packages/local', link: true } }), linuxArm),
    ).toMatchObject({ kind: 'engine', reason: expect.stringContaining('linked folder') });
    expect(readLockfile(JSON.stringify({ lockfileVersion: 1, dependencies: {} }), linuxArm)).toMatchObject({
      kind: 'engine',
      reason: expect.stringContaining('version 1'),
    });
  });

  it('reads npm os/cpu lists with negations', () => {
    expect(admits(undefined, 'linux')).toBe(true);
    expect(admits(['!win32'], 'linux')).toBe(true);
    expect(admits(['!linux'], 'linux')).toBe(false);
    expect(admits(['darwin', 'win32'], 'linux')).toBe(false);
    expect(npmCpu('amd64')).toBe('x64');
    expect(npmCpu('arm64')).toBe('arm64');
  });
});

describe('the npm configuration of an install', () => {
  it('names the registry without credentials and gives them for that registry alone', () => {
    const text = npmrcText('https://ci%40corp:p%3Ass@npm.example/repo/');
    expect(text).toBe(
      `registry=https://npm.example/repo/\n//npm.example/repo/:_auth=${Buffer.from('ci@corp:p:ss').toString('base64')}\n`,
    );
    expect(npmrcText('https://npm.example/')).toBe('registry=https://npm.example/\n');
    expect(npmrcText(undefined)).toBe('');
  });
});
