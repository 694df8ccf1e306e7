import { mkdtemp } from 'node:fs/promises';
import { createServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { memoryStream } from '../../helpers/memory-io.js';
import type { CliIo } from '../../../src/cli/command.js';
import { main } from '../../../src/cli/main.js';

export function temporaryDirectory(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'neurons-ca-'));
}

/** Runs the CLI in-process; `onStdoutLine` sees each line printed, as it is printed. */
export async function runCli(
  argv: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  onStdoutLine?: (line: string) => void,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = memoryStream(onStdoutLine);
  const stderr = memoryStream();
  const io: CliIo = { cwd, env, stdout, stderr };
  const code = await main(argv, io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

export interface LocalServer {
  host: string;
  port: number;
  /** `127.0.0.1:port`, as a hop names it. */
  address: string;
  url: string;
  close: () => Promise<void>;
}

/** An HTTPS server on loopback (port 0) answering `ok`. */
export async function startHttpsServer(options: ServerOptions): Promise<LocalServer> {
  const server = createServer(options, (_request, response) => response.end('ok'));
  // A refused client certificate makes the server emit tlsClientError; nothing to do about it here.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    url: `https://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
