import { describe, expect, it } from 'vitest';
import { parseNameStatus } from '../../../src/detect/parse-name-status.js';

describe('parseNameStatus', () => {
  it('reads every status git gives between two commits', () => {
    const output = [
      'M',
      'a b.py',
      'A',
      'new\nline.py',
      'D',
      'tab\there',
      'T',
      'link',
      'R097',
      'old/x.py',
      'new/x.py',
      'C100',
      'src.py',
      'copy.py',
      '',
    ].join('\0');
    expect(parseNameStatus(output)).toEqual([
      { status: 'modified', path: 'a b.py' },
      { status: 'added', path: 'new\nline.py' },
      { status: 'deleted', path: 'tab\there' },
      { status: 'type-changed', path: 'link' },
      { status: 'renamed', path: 'new/x.py', previousPath: 'old/x.py' },
      { status: 'added', path: 'copy.py' },
    ]);
  });

  it('reads no output as no change', () => {
    expect(parseNameStatus('')).toEqual([]);
  });

  it('throws on output it does not understand', () => {
    expect(() => parseNameStatus('R100\0only-one-path\0')).toThrow(/path is missing/);
    expect(() => parseNameStatus('Q\0file\0')).toThrow(/unexpected status/);
  });
});
