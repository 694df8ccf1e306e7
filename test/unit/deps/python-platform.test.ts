import { describe, expect, it } from 'vitest';
import {
  platformTags,
  pythonHomeOf,
  pythonVersionOf,
  targetArguments,
  wheelMachine,
} from '../../../src/deps/python-platform.js';

describe('wheel platforms', () => {
  it('names the machine of each image architecture, and none for other systems', () => {
    expect(wheelMachine({ os: 'linux', architecture: 'amd64' })).toBe('x86_64');
    expect(wheelMachine({ os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe('aarch64');
    expect(wheelMachine({ os: 'linux', architecture: 'arm', variant: 'v7' })).toBe('armv7l');
    expect(wheelMachine({ os: 'linux', architecture: 'mips64le' })).toBeUndefined();
    expect(wheelMachine({ os: 'windows', architecture: 'amd64' })).toBeUndefined();
  });

  it('lists manylinux tags from the base glibc down, legacy aliases and linux_<machine>', () => {
    const tags = platformTags('aarch64', '2.28');
    expect(tags[0]).toBe('manylinux_2_28_aarch64');
    expect(tags).toContain('manylinux_2_17_aarch64');
    expect(tags).toContain('manylinux2014_aarch64');
    expect(tags).not.toContain('manylinux_2_29_aarch64');
    expect(tags.at(-1)).toBe('linux_aarch64');
    expect(tags.every((tag) => tag.endsWith('_aarch64'))).toBe(true);
    expect(platformTags('x86_64', '2.17')).toContain('manylinux1_x86_64');
  });

  it('tells pip the implementation, the ABI and the Python version of the target, wheels only', () => {
    const args = targetArguments('aarch64', '3.12');
    expect(args).toContain('--only-binary=:all:');
    expect(args.join(' ')).toContain('--python-version 3.12 --implementation cp --abi cp312');
    expect(args.filter((arg) => arg === '--platform').length).toBe(platformTags('aarch64').length);
  });
});

describe('the Python version of a base image', () => {
  it('comes from the neurons label first', () => {
    expect(
      pythonVersionOf({ config: { Labels: { 'io.neurons.python-version': '3.12' }, Env: ['PYTHON_VERSION=3.11.9'] } }),
    ).toBe('3.12');
  });

  it('else from PYTHON_VERSION as the official images set it', () => {
    expect(pythonVersionOf({ config: { Env: ['PATH=/usr/local/bin', 'PYTHON_VERSION=3.11.9'] } })).toBe('3.11');
    expect(pythonVersionOf({ config: { Env: ['PYTHON_VERSION=3.13.0rc2'] } })).toBe('3.13');
  });

  it('goes with the interpreter folder the venv links to', () => {
    expect(pythonHomeOf({ config: { Env: ['PYTHON_VERSION=3.11.9'] } })).toBe('/usr/local/bin');
    expect(pythonHomeOf({ config: { Env: ['PATH=/usr/bin'], Labels: { 'io.neurons.python-version': '3.11' } } })).toBe(
      '/usr/bin',
    );
    expect(
      pythonHomeOf({
        config: { Env: ['PYTHON_VERSION=3.11.9'], Labels: { 'io.neurons.python-home': '/opt/python/bin/' } },
      }),
    ).toBe('/opt/python/bin');
  });

  it('is unknown when neither says, or says something else', () => {
    expect(pythonVersionOf({ config: { Env: ['PATH=/usr/bin'], Labels: null } })).toBeUndefined();
    expect(pythonVersionOf({})).toBeUndefined();
    expect(pythonVersionOf({ config: { Env: ['PYTHON_VERSION=latest'] } })).toBeUndefined();
  });
});
