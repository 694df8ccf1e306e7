import { describe, expect, it } from 'vitest';
import { cacheTag } from '../../../src/deps/cache.js';
import { canonicalJson, dependencyKey, type DependencyKeyParts } from '../../../src/deps/dependency-key.js';

const base: DependencyKeyParts = {
  runtime: 'python',
  platform: { os: 'linux', architecture: 'arm64' },
  baseDigest: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
  pythonVersion: '3.11',
  packages: [
    { name: 'requests', version: '2.32.3' },
    { name: 'certifi', version: '2024.8.30' },
  ],
};

describe('dependency keys', () => {
  it('is a sha256 digest', () => {
    expect(dependencyKey(base)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('does not depend on the order of packages, of object keys, or on anything but name and version', () => {
    const reordered: DependencyKeyParts = {
      packages: [
        { version: '2024.8.30', name: 'certifi' },
        { name: 'requests', version: '2.32.3', sha256: 'ab', url: 'https://index.example/requests.whl' } as {
          name: string;
          version: string;
        },
      ],
      pythonVersion: '3.11',
      baseDigest: base.baseDigest,
      platform: { architecture: 'arm64', os: 'linux' },
      runtime: 'python',
    };
    expect(dependencyKey(reordered)).toBe(dependencyKey(base));
  });

  it.each<[string, Partial<DependencyKeyParts>]>([
    ['the runtime', { runtime: 'node' }],
    ['the architecture', { platform: { os: 'linux', architecture: 'amd64' } }],
    ['the variant', { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }],
    ['the base image', { baseDigest: 'sha256:2222222222222222222222222222222222222222222222222222222222222222' }],
    ['the Python version', { pythonVersion: '3.12' }],
    ['the interpreter folder', { pythonHome: '/usr/local/bin' }],
    [
      'a version',
      {
        packages: [
          { name: 'requests', version: '2.32.4' },
          { name: 'certifi', version: '2024.8.30' },
        ],
      },
    ],
    ['a package more', { packages: [...base.packages, { name: 'idna', version: '3.10' }] }],
    ['a package less', { packages: [{ name: 'requests', version: '2.32.3' }] }],
  ])('changes with %s', (_what, change) => {
    expect(dependencyKey({ ...base, ...change })).not.toBe(dependencyKey(base));
  });

  it('writes canonical JSON: keys sorted at every level, undefined left out', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 'x' }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"e":"x","f":1}]},"b":1}',
    );
  });

  it('names the cache entry by the first 40 hex digits of the key', () => {
    const key = dependencyKey(base);
    expect(cacheTag(key)).toBe(`deps-${key.slice('sha256:'.length, 'sha256:'.length + 40)}`);
    expect(() => cacheTag('sha256:xyz')).toThrow(/not a dependency key/);
  });
});
