import { maskSecrets } from './mask.js';

/**
 * Terminal control sequences: CSI (colours, cursor moves), OSC (titles, links) up to BEL or ST, the other escapes
 * (character sets, modes), and the single-byte CSI. Tools run in containers (pip, npm, a worker) colour their output; in a CI log or a
 * JSON document those bytes are noise, and they can hide or rewrite what is around them.
 */
const escapeSequences =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[ -/]*[0-~]|\u009b[0-?]*[ -/]*[@-~]/g;
/** Other control characters but tab and line feed (a carriage return of a progress bar included). */
const controlCharacters = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

export function stripTerminalEscapes(text: string): string {
  return text.replace(escapeSequences, '').replace(controlCharacters, '');
}

/** What the CLI may print of a text it did not write itself: control sequences removed, then secrets masked. */
export function printable(text: string): string {
  return maskSecrets(stripTerminalEscapes(text));
}

/** A JSON document to print: control sequences removed from every string (JSON would keep them as `\u001b`), secrets masked. */
export function printableJson(value: unknown, indent?: number): string {
  return maskSecrets(
    JSON.stringify(
      value,
      (_key, item: unknown) => (typeof item === 'string' ? stripTerminalEscapes(item) : item),
      indent,
    ),
  );
}
