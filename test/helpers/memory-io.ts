import { Writable } from 'node:stream';

/**
 * A writable that keeps what is written, for CLI tests that call `main` in-process. `onLine` sees each complete line
 * the moment it is written, before the command goes on: a test reacts to what the command printed, not to a delay.
 */
export function memoryStream(onLine?: (line: string) => void): Writable & { text: () => string } {
  const chunks: string[] = [];
  let pending = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      if (onLine) {
        const lines = (pending + chunk.toString()).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      }
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

/** Runs the CLI in-process, as `neurons argv...` in `cwd`, and returns its exit code and what it printed. */
export async function runMain(
  argv: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import('../../src/cli/main.js');
  const stdout = memoryStream();
  const stderr = memoryStream();
  const code = await main(argv, { cwd, env, stdout, stderr });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
