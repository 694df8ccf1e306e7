import { describe, expect, it } from 'vitest';
import { registerSecret } from '../../src/util/mask.js';
import { printable, printableJson, stripTerminalEscapes } from '../../src/util/printable.js';

describe('printable text', () => {
  it('drops colours, cursor moves, titles and carriage returns, keeps lines and tabs', () => {
    const text = '\u001b[1;31mERROR:\u001b[0m 401\tdenied\r\n\u001b]0;title\u0007done\u001b[2K\u001b(B\n';
    expect(stripTerminalEscapes(text)).toBe('ERROR: 401\tdenied\ndone\n');
  });

  it('masks a secret that colours split', () => {
    registerSecret('s3cr3t-value');
    expect(printable('url https://u:s3cr3t-\u001b[0mvalue@host')).toBe('url https://u:***@host');
  });

  it('prints JSON without escape sequences in any string', () => {
    const json = printableJson({
      problem: { message: 'build failed\n\u001b[31mERROR: 401 Credentials not correct\u001b[0m' },
      list: ['\u001b[1mx'],
    });
    expect(json).not.toMatch(/\\u001b|\u001b/);
    expect(JSON.parse(json)).toEqual({
      problem: { message: 'build failed\nERROR: 401 Credentials not correct' },
      list: ['x'],
    });
  });
});
