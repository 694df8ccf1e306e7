/**
 * A strict JSON scanner that records where every value and key starts, by JSON pointer (RFC 6901).
 * JSON.parse stays the source of the values; this only adds positions and exact syntax-error locations,
 * which JSON.parse does not give on Node 20.
 */

export interface JsonPosition {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
  offset: number;
}

/** Positions by JSON pointer (`''` is the root); line and column are computed when asked for. */
export interface JsonLocations {
  /** Where the value at `pointer` starts. */
  value(pointer: string): JsonPosition | undefined;
  /** Where the key of the object member at `pointer` starts. */
  key(pointer: string): JsonPosition | undefined;
  /** Pointers of members whose key already appeared in the same object (JSON.parse keeps the last). */
  duplicateKeys: string[];
}

export interface JsonSyntaxFailure extends JsonPosition {
  message: string;
  /** Valid JSON that JSON.parse could not read for its depth (V8 recurses on objects). */
  tooDeep?: true;
}

export type JsonParseResult =
  { ok: true; value: unknown; locations: JsonLocations } | { ok: false; error: JsonSyntaxFailure };

export function escapePointerToken(token: string): string {
  if (!token.includes('~') && !token.includes('/')) return token;
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Offsets only while scanning: positions are built for the few pointers a problem is reported at. */
class OffsetLocations implements JsonLocations {
  readonly valueOffsets = new Map<string, number>();
  readonly keyOffsets = new Map<string, number>();
  readonly duplicateKeys: string[] = [];
  /** Offset of the first character of each line; lineStarts[0] is 0. */
  readonly lineStarts: number[] = [0];

  value(pointer: string): JsonPosition | undefined {
    const offset = this.valueOffsets.get(pointer);
    return offset === undefined ? undefined : this.positionAt(offset);
  }

  key(pointer: string): JsonPosition | undefined {
    const offset = this.keyOffsets.get(pointer);
    return offset === undefined ? undefined : this.positionAt(offset);
  }

  positionAt(offset: number): JsonPosition {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.lineStarts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - (this.lineStarts[low] ?? 0) + 1, offset };
  }
}

class SyntaxFailure extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// Anything a string may hold without a closer look: no quote, backslash or control character.
const plainStringPattern = /[^"\\\u0000-\u001f]*/y;
const escapePattern = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

type ObjectContainer = { kind: 'object'; pointer: string; seen: Set<string> };
type Container = ObjectContainer | { kind: 'array'; pointer: string; item: number };

class Scanner {
  private index = 0;
  readonly locations = new OffsetLocations();

  constructor(private readonly text: string) {}

  scanDocument(): void {
    this.skipWhitespace();
    this.scanValue('');
    this.skipWhitespace();
    if (this.index < this.text.length) this.fail(`unexpected ${this.describeHere()} after the end of the JSON value`);
  }

  private fail(message: string, offset = this.index): never {
    throw new SyntaxFailure(message, offset);
  }

  private describeHere(): string {
    if (this.index >= this.text.length) return 'end of input';
    const char = this.text[this.index] ?? '';
    const code = char.charCodeAt(0);
    return code < 0x20 || code === 0xfeff
      ? `character U+${code.toString(16).toUpperCase().padStart(4, '0')}`
      : `'${char}'`;
  }

  private skipWhitespace(): void {
    const text = this.text;
    for (;;) {
      const code = text.charCodeAt(this.index);
      if (code === 32 || code === 9 || code === 13) this.index++;
      else if (code === 10) {
        this.index++;
        this.locations.lineStarts.push(this.index);
      } else return;
    }
  }

  /**
   * Scans one value and everything inside it. Iterative, with an explicit stack of open containers: a hostile file
   * nested thousands of levels deep must be reported, not overflow the call stack.
   */
  private scanValue(rootPointer: string): void {
    const open: Container[] = [];
    let pointer = rootPointer;
    for (;;) {
      this.locations.valueOffsets.set(pointer, this.index);
      const opened = this.scanScalarOrOpen(pointer);
      if (opened) {
        open.push(opened);
        pointer = opened.kind === 'object' ? this.scanMemberKey(opened) : `${opened.pointer}/0`;
        continue;
      }
      // A value is complete: close every container it completes, then go on with the next member or item.
      let next: string | undefined;
      while (next === undefined) {
        const container = open.at(-1);
        if (!container) return;
        next = this.afterMember(container);
        if (next === undefined) open.pop();
      }
      pointer = next;
    }
  }

  /** Scans a scalar or an empty container (returns undefined), or opens a non-empty container (returns it). */
  private scanScalarOrOpen(pointer: string): Container | undefined {
    const char = this.text[this.index];
    if (char === '{' || char === '[') {
      const close = char === '{' ? '}' : ']';
      this.index++;
      this.skipWhitespace();
      if (this.text[this.index] === close) {
        this.index++;
        return undefined;
      }
      return char === '{' ? { kind: 'object', pointer, seen: new Set() } : { kind: 'array', pointer, item: 0 };
    }
    if (char === '"') this.scanString(false);
    else if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) this.scanNumber();
    else if (!this.scanLiteral('true') && !this.scanLiteral('false') && !this.scanLiteral('null')) {
      this.fail(`unexpected ${this.describeHere()}, expected a value`);
    }
    return undefined;
  }

  /** After a member's value: the pointer of the next member or item, or undefined when the container closed. */
  private afterMember(container: Container): string | undefined {
    this.skipWhitespace();
    const next = this.text[this.index];
    this.index++;
    if (container.kind === 'object') {
      if (next === '}') return undefined;
      if (next !== ',')
        this.fail(
          `unexpected ${this.describeAt(this.index - 1)}, expected ',' or '}' after a field value`,
          this.index - 1,
        );
      this.skipWhitespace();
      return this.scanMemberKey(container);
    }
    if (next === ']') return undefined;
    if (next !== ',')
      this.fail(
        `unexpected ${this.describeAt(this.index - 1)}, expected ',' or ']' after an array item`,
        this.index - 1,
      );
    this.skipWhitespace();
    container.item++;
    return `${container.pointer}/${container.item}`;
  }

  /** Scans `"key" :` and returns the member's pointer, the value's start being next. */
  private scanMemberKey(container: ObjectContainer): string {
    if (this.text[this.index] !== '"')
      this.fail(`unexpected ${this.describeHere()}, expected a double-quoted field name`);
    const keyOffset = this.index;
    const key = this.scanString(true);
    const memberPointer = `${container.pointer}/${escapePointerToken(key)}`;
    if (container.seen.has(key)) this.locations.duplicateKeys.push(memberPointer);
    container.seen.add(key);
    this.locations.keyOffsets.set(memberPointer, keyOffset);
    this.skipWhitespace();
    if (this.text[this.index] !== ':') this.fail(`unexpected ${this.describeHere()}, expected ':' after a field name`);
    this.index++;
    this.skipWhitespace();
    return memberPointer;
  }

  private scanLiteral(word: string): boolean {
    if (!this.text.startsWith(word, this.index)) return false;
    this.index += word.length;
    return true;
  }

  private scanNumber(): void {
    numberPattern.lastIndex = this.index;
    if (!numberPattern.test(this.text)) this.fail('invalid number');
    this.index = numberPattern.lastIndex;
  }

  /** Scans a string; returns its decoded value when `decode` (keys), else an empty string. */
  private scanString(decode: boolean): string {
    const start = this.index;
    this.index++;
    let escaped = false;
    for (;;) {
      plainStringPattern.lastIndex = this.index;
      plainStringPattern.test(this.text);
      this.index = plainStringPattern.lastIndex;
      const char = this.text[this.index];
      if (char === '"') break;
      if (char === '\\') {
        escapePattern.lastIndex = this.index;
        if (!escapePattern.test(this.text)) this.fail('invalid escape sequence in string');
        this.index = escapePattern.lastIndex;
        escaped = true;
      } else if (char === undefined) this.fail('unterminated string', start);
      else this.fail(`${this.describeHere()} is not allowed in a string (escape it)`);
    }
    this.index++;
    if (!decode) return '';
    return escaped
      ? (JSON.parse(this.text.slice(start, this.index)) as string)
      : this.text.slice(start + 1, this.index - 1);
  }

  private describeAt(offset: number): string {
    const saved = this.index;
    this.index = offset;
    const description = this.describeHere();
    this.index = saved;
    return description;
  }
}

/** Positions are only needed for files with problems: the scan runs on the first question, at most once. */
class LazyLocations implements JsonLocations {
  private scanned: OffsetLocations | undefined;
  private duplicates: string[] | undefined;

  constructor(
    private readonly text: string,
    private readonly parsed: unknown,
  ) {}

  private get offsets(): OffsetLocations {
    if (!this.scanned) {
      const scanner = new Scanner(this.text);
      scanner.scanDocument();
      this.scanned = scanner.locations;
    }
    return this.scanned;
  }

  value(pointer: string): JsonPosition | undefined {
    return this.offsets.value(pointer);
  }

  key(pointer: string): JsonPosition | undefined {
    return this.offsets.key(pointer);
  }

  get duplicateKeys(): string[] {
    this.duplicates ??= mayHaveDuplicateKeys(this.text, this.parsed) ? this.offsets.duplicateKeys : [];
    return this.duplicates;
  }
}

/**
 * Every key in the text is a string followed by `:`, so the text has at least as many `"` + `:` pairs as keys;
 * JSON.parse keeps one member per distinct key. When both counts agree, no key can be duplicated.
 */
function mayHaveDuplicateKeys(text: string, parsed: unknown): boolean {
  return (text.match(/"\s*:/g)?.length ?? 0) > countMembers(parsed);
}

/** Iterative for the same reason as the scanner: the value may be nested thousands of levels deep. */
function countMembers(root: unknown): number {
  let count = 0;
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null) continue;
    const members: unknown[] = Array.isArray(value) ? value : Object.values(value);
    if (!Array.isArray(value)) count += members.length;
    for (const member of members) pending.push(member);
  }
  return count;
}

/**
 * Parses JSON text. JSON.parse gives the value; the scanner gives positions, computed only when asked for,
 * and the line and column of a syntax error.
 */
export function parseJsonWithPositions(text: string): JsonParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    if (error instanceof RangeError)
      return {
        ok: false,
        error: { message: 'nested too deeply for JSON.parse', line: 1, column: 1, offset: 0, tooDeep: true },
      };
    return { ok: false, error: locateSyntaxError(text, (error as Error).message) };
  }
  return { ok: true, value, locations: new LazyLocations(text, value) };
}

function locateSyntaxError(text: string, parseMessage: string): JsonSyntaxFailure {
  const scanner = new Scanner(text);
  try {
    scanner.scanDocument();
  } catch (error) {
    if (!(error instanceof SyntaxFailure)) throw error;
    // The scan stopped at the error: every line start before it is known.
    return { message: error.message, ...scanner.locations.positionAt(error.offset) };
  }
  // Both follow RFC 8259; should they ever disagree, JSON.parse has the last word.
  return { message: parseMessage, line: 1, column: 1, offset: 0 };
}
