import { spawn } from 'node:child_process';

export interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program without a shell (arguments are never parsed again) with exactly the environment given: a
 * user's pip or npm configuration must not change what a worker gets, so nothing is inherited by default.
 */
export function runTool(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status: status ?? (signal ? 128 : -1), stdout, stderr }));
  });
}

/** Where programs and the home are, and how this machine reaches and trusts the network: not how pip or npm are set. */
const passedOn = [
  'PATH',
  'HOME',
  'LANG',
  'TMPDIR',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
];

/** What a child needs from ours to find programs and a home, and nothing else. */
export function baseEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const name of passedOn) if (env[name] !== undefined) kept[name] = env[name];
  return kept;
}
