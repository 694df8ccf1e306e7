import { Writable } from 'node:stream';

/** A writable that keeps what is written, for CLI tests that call `main` in-process. */
export function memoryStream(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}
