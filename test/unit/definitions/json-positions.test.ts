import { describe, it, expect } from 'vitest';
import { escapePointerToken, parseJsonWithPositions } from '../../../src/definitions/json-positions.js';

function parse(text: string) {
  const result = parseJsonWithPositions(text);
  if (!result.ok) throw new Error(result.error.message);
  return result;
}

describe('parseJsonWithPositions', () => {
  it('returns the value of JSON.parse, field order kept', () => {
    const text = '{"b": 1, "a": [true, null, "x"], "c": {"d": -1.5e3}}';
    const { value } = parse(text);
    expect(value).toEqual(JSON.parse(text));
    expect(Object.keys(value as object)).toEqual(['b', 'a', 'c']);
  });

  it('records the position of every value and key by pointer', () => {
    const text = '{\n  "name": "Echo",\n  "list": [\n    1,\n    {"x": false}\n  ]\n}';
    const { locations } = parse(text);
    expect(locations.value('')).toEqual({ line: 1, column: 1, offset: 0 });
    expect(locations.key('/name')).toMatchObject({ line: 2, column: 3 });
    expect(locations.value('/name')).toMatchObject({ line: 2, column: 11 });
    expect(locations.value('/list')).toMatchObject({ line: 3, column: 11 });
    expect(locations.value('/list/0')).toMatchObject({ line: 4, column: 5 });
    expect(locations.value('/list/1/x')).toMatchObject({ line: 5, column: 11 });
    expect(locations.value('/missing')).toBeUndefined();
  });

  it('escapes ~ and / in pointers and decodes escaped keys', () => {
    expect(escapePointerToken('a/b~c')).toBe('a~1b~0c');
    const { locations } = parse('{"a/b": 1, "t\\u0061b": 2}');
    expect(locations.value('/a~1b')).toMatchObject({ line: 1, column: 9 });
    expect(locations.key('/tab')).toMatchObject({ line: 1, column: 12 });
  });

  it('reports duplicate keys, the later one', () => {
    const { locations } = parse('{"a": 1,\n "a": 2, "b": {"c": 1, "c": 2}}');
    expect(locations.duplicateKeys).toEqual(['/a', '/b/c']);
    expect(locations.key('/a')).toMatchObject({ line: 2, column: 2 });
    expect(parse('{"a": "\\":", "b": 1}').locations.duplicateKeys).toEqual([]);
  });

  it.each([
    ['{\n  "a": 1,\n}', 3, 1, 'expected a double-quoted field name'],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, "expected ',' or '}'"],
    ['{"a": [1, 2}', 1, 12, "expected ',' or ']'"],
    ['{"a": tru}', 1, 7, 'expected a value'],
    ['{"a": "x\ny"}', 1, 9, 'not allowed in a string'],
    ['{"a": "\\q"}', 1, 8, 'invalid escape'],
    ['{"a": 01}', 1, 8, "expected ',' or '}'"],
    ['{"a": 1} x', 1, 10, 'after the end'],
    ['{"a": "open', 1, 7, 'unterminated string'],
    ['', 1, 1, 'end of input'],
    ["{'a': 1}", 1, 2, 'double-quoted'],
  ])('locates the syntax error in %j', (text, line, column, message) => {
    const result = parseJsonWithPositions(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ line, column });
    expect(result.error.message).toContain(message);
  });

  it('scans 100,000 levels without recursion: positions and duplicate keys at the bottom, errors past it', () => {
    const depth = 100_000;
    const text = `${'['.repeat(depth)}{"k": 1,\n "k": 2}${']'.repeat(depth)}`;
    const result = parseJsonWithPositions(text);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const bottom = '/0'.repeat(depth - 1);
    expect(result.locations.duplicateKeys).toEqual([`${bottom}/0/k`]);
    expect(result.locations.key(`${bottom}/0/k`)).toEqual({ line: 2, column: 2, offset: depth + 10 });
    const broken = parseJsonWithPositions(`${'['.repeat(depth)}1,]${']'.repeat(depth - 1)}`);
    expect(broken).toMatchObject({
      ok: false,
      error: { line: 1, column: depth + 3, message: expect.stringContaining('expected a value') },
    });
  });
});
