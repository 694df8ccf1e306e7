import { spawn } from 'node:child_process';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { environmentDirectory, readEnvironmentState, type EnvironmentState } from '../../src/environment/state.js';
import { readFileSync } from 'node:fs';
import { RegistryClient } from '../../src/registry/client.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixture = path.join(root, 'analyzers-fixture');

export async function environmentState(): Promise<EnvironmentState> {
  const state = await readEnvironmentState(environmentDirectory(process.env));
  if (!state) throw new Error('no environment state: the global setup should have run `neurons env up`');
  return state;
}

export function registryClient(state: EnvironmentState, credentials = true): RegistryClient {
  return new RegistryClient({
    host: state.registry.host,
    ca: [readFileSync(state.caFile, 'utf8')],
    ...(credentials ? { credentials: { username: state.registry.username, password: state.registry.password } } : {}),
  });
}

/** A fresh copy of the fixture repository in a temporary folder. */
export async function copyFixture(): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'neurons-repo-'));
  await cp(fixture, directory, { recursive: true });
  return directory;
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the compiled CLI as a user would. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = root): Promise<CliResult> {
  return runCommand(path.join(root, 'bin', 'neurons'), args, env, cwd);
}

/** Runs a program (skopeo, docker, ...) with `env` over this process's environment; resolves with what it printed. */
export function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = root): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}

/** A namespace of its own per test file, so each run pushes fresh images. */
export function uniqueNamespace(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}
