import { describe, expect, it } from 'vitest';
import { applyRegistryPrefix, parseRegistryPrefix } from '../../../src/update/prefix.js';

describe('--registry-prefix', () => {
  it('adds the missing slash in front of a Docker Hub image', () => {
    expect(applyRegistryPrefix('cortexneurons/abuse_finder:1', parseRegistryPrefix('mirror.example:5000'))).toBe(
      'mirror.example:5000/cortexneurons/abuse_finder:1',
    );
    expect(applyRegistryPrefix('cortexneurons/abuse_finder:1', parseRegistryPrefix('mirror.example:5000/'))).toBe(
      'mirror.example:5000/cortexneurons/abuse_finder:1',
    );
    expect(applyRegistryPrefix('python:3', 'mirror.example')).toBe('mirror.example/python:3');
  });

  it('replaces the registry host of an image that names one, keeping the path, tag and digest', () => {
    expect(applyRegistryPrefix('registry.example:5443/ns/urlinspect:1', 'mirror.example:5000')).toBe(
      'mirror.example:5000/ns/urlinspect:1',
    );
    expect(applyRegistryPrefix('docker.io/cortexneurons/x:1@sha256:ab', 'mirror.example')).toBe(
      'mirror.example/cortexneurons/x:1@sha256:ab',
    );
    expect(applyRegistryPrefix('localhost/ns/x:1', 'mirror.example/cortex')).toBe('mirror.example/cortex/ns/x:1');
  });

  it('leaves images as they are without a prefix', () => {
    expect(applyRegistryPrefix('cortexneurons/x:1', undefined)).toBe('cortexneurons/x:1');
  });

  it('refuses a prefix that is not a registry', () => {
    for (const prefix of ['', 'https://mirror.example', 'cortexneurons', 'mirror example', 'user@mirror.example']) {
      expect(() => parseRegistryPrefix(prefix), prefix).toThrow(
        expect.objectContaining({ code: 'UPDATE_PREFIX_INVALID' }),
      );
    }
  });
});
