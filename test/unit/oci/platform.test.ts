import { describe, expect, it } from 'vitest';
import { NeuronsError } from '../../../src/errors/neurons-error.js';
import { formatPlatform, hostPlatform, parsePlatform, samePlatform } from '../../../src/oci/platform.js';

describe('platforms', () => {
  it('parses os/architecture[/variant] and writes it back the same', () => {
    expect(parsePlatform('linux/amd64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(parsePlatform(' linux/arm/v7 ')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    for (const text of ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'windows/amd64'])
      expect(formatPlatform(parsePlatform(text))).toBe(text);
  });

  it.each(['', 'linux', 'amd64/', 'linux//amd64', 'linux/amd64/v8/x', 'Linux/AMD64', 'linux/amd 64'])(
    'refuses %j with a coded error naming the file',
    (text) => {
      let caught: unknown;
      try {
        parsePlatform(text, 'neurons.yaml');
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(NeuronsError);
      expect((caught as NeuronsError).problem).toMatchObject({ code: 'PLATFORM_INVALID', file: 'neurons.yaml' });
      expect((caught as NeuronsError).problem.hint).toContain('linux/amd64');
    },
  );

  it('takes arm64 without a variant for arm64/v8, and no other implied variant', () => {
    expect(samePlatform(parsePlatform('linux/arm64'), parsePlatform('linux/arm64/v8'))).toBe(true);
    expect(samePlatform(parsePlatform('linux/arm64/v8'), parsePlatform('linux/arm64'))).toBe(true);
    expect(samePlatform(parsePlatform('linux/arm64'), parsePlatform('linux/arm64/v9'))).toBe(false);
    expect(samePlatform(parsePlatform('linux/arm'), parsePlatform('linux/arm/v7'))).toBe(false);
    expect(samePlatform(parsePlatform('linux/amd64'), parsePlatform('linux/arm64'))).toBe(false);
    expect(samePlatform(parsePlatform('linux/amd64'), parsePlatform('windows/amd64'))).toBe(false);
  });

  it('names the host in registry terms', () => {
    const expected: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };
    expect(hostPlatform()).toEqual({ os: 'linux', architecture: expected[process.arch] ?? process.arch });
  });
});
