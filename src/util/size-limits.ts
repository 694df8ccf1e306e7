import { open } from 'node:fs/promises';

/**
 * The largest inputs neurons reads, documented in the README ("Limits"). Each is checked before the bytes are read
 * whole or parsed, so a hostile file costs a stat, not its size in memory. The values are far above what real
 * repositories hold (the largest of the 431 Cortex-Analyzers definitions is under 20 KB; their catalogs under 2 MB).
 */
export const sizeLimits = {
  /** One worker definition file. */
  definition: 1024 * 1024,
  /** One engine catalog (`analyzers.json`, ...). */
  catalog: 32 * 1024 * 1024,
  /** The index (`index.json`) and its signature. */
  index: 1024 * 1024,
  /** A configuration file, a PEM file, a Docker `config.json`. */
  settingsFile: 1024 * 1024,
  /** A webhook body (GitHub caps its payloads at 25 MB, but a push event is a few KB). */
  webhook: 1024 * 1024,
} as const;

export class TooLargeError extends Error {
  override name = 'TooLargeError';
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`${size} bytes, more than the limit of ${limit}`);
  }
}

/**
 * Reads a file whole, unless it is larger than `limit` bytes (TooLargeError). The size is taken from the open file,
 * so a file swapped between a stat and the read cannot slip through; the read stops at `limit + 1` bytes anyway.
 */
export async function readFileWithin(file: string, limit: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size > limit) throw new TooLargeError(size, limit);
    const buffer = Buffer.alloc(Math.min(size, limit) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > limit) throw new TooLargeError(length, limit);
      if (length === buffer.length) break;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/** Decodes UTF-8, refusing bytes that are not UTF-8 instead of turning them into U+FFFD silently. */
export function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
