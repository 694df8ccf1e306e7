import fs from 'node:fs';

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
  /** One report template (`thehive-templates/<AnalyzerId>/long.html`). */
  reportTemplate: 1024 * 1024,
  /** All report templates together, the size of `report-templates.zip` before compression. */
  reportTemplates: 64 * 1024 * 1024,
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
 * Callbacks chained in one promise: validation reads hundreds of definitions, and a promise per system call (the
 * FileHandle API) made it a third slower.
 */
export function readFileWithin(file: string, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    fs.open(file, 'r', (openError, fd) => {
      if (openError) return reject(openError);
      const finish = (error: Error | null, bytes?: Buffer): void =>
        fs.close(fd, () => (error ? reject(error) : resolve(bytes as Buffer)));
      fs.fstat(fd, (statError, stats) => {
        if (statError) return finish(statError);
        if (stats.size > limit) return finish(new TooLargeError(stats.size, limit));
        // One byte more than announced, to see a file that grew; files that announce no size (pipes) grow it.
        let buffer = Buffer.alloc(stats.size + 1);
        const readMore = (length: number): void => {
          if (length === buffer.length)
            buffer = Buffer.concat([buffer, Buffer.alloc(Math.min(buffer.length, limit + 1))]);
          fs.read(fd, buffer, length, buffer.length - length, null, (readError, bytesRead) => {
            if (readError) return finish(readError);
            const total = length + bytesRead;
            if (total > limit) return finish(new TooLargeError(total, limit));
            if (bytesRead === 0) return finish(null, buffer.subarray(0, total));
            readMore(total);
          });
        };
        readMore(0);
      });
    });
  });
}

/** Decodes UTF-8, refusing bytes that are not UTF-8 instead of turning them into U+FFFD silently. */
export function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
