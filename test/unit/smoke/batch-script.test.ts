import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellWord } from '../../../src/smoke/batch-container.js';

describe('shellWord', () => {
  it('gives a POSIX shell back every word as it was, whatever it holds', () => {
    const words = [
      '',
      'plain',
      "it's",
      "''",
      '$HOME `id` $(id) \\ "double"',
      'two\nlines',
      'glob * ? [a]',
      String.raw`import ast; print("%s (%s)" % (1, 2))`,
    ];
    const script = `printf '%s\\0' ${words.map(shellWord).join(' ')}`;
    const printed = execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
    expect(printed.split('\0').slice(0, -1)).toEqual(words);
  });
});
