import { spawn } from 'node:child_process';
import { cp, mkdtemp, open, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  environmentDirectory,
  readEnvironmentState,
  type EnvironmentState,
} from '../../src/state/environment-state.js';
import { appendFileSync, readFileSync } from 'node:fs';
import { RegistryClient } from '../../src/registry/client.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixture = path.join(root, 'analyzers-fixture');

export async function environmentState(): Promise<EnvironmentState> {
  const state = await readEnvironmentState(environmentDirectory(process.env));
  if (!state) throw new Error('no environment state: the global setup should have run `neurons env up`');
  return state;
}

/**
 * The variables of a run that names a registry and should build as the local environment does. A named registry
 * takes nothing from the environment's state (see `loadConfig`), so its base images and package index are given
 * here. With `registry` (the environment's own, or a proxy in front of it), NEURONS_REGISTRY names it, with the
 * environment's credentials and CA, and the base images are named through it: one registry for the whole run.
 */
export function environmentVariables(
  state: EnvironmentState,
  options: { registry?: string } = {},
): Record<string, string> {
  const host = options.registry ?? state.registry.host;
  return {
    ...(options.registry
      ? {
          NEURONS_REGISTRY: options.registry,
          NEURONS_REGISTRY_USERNAME: state.registry.username,
          NEURONS_REGISTRY_PASSWORD: state.registry.password,
          NEURONS_REGISTRY_CA: state.caFile,
        }
      : {}),
    NEURONS_BASE_PYTHON: throughHost(state.baseImages.python, state.registry.host, host),
    NEURONS_BASE_NODE: throughHost(state.baseImages.node, state.registry.host, host),
    NEURONS_BASE_GO: throughHost(state.baseImages.go, state.registry.host, host),
    NEURONS_PIP_INDEX_URL: state.packageIndex.url,
    NEURONS_PIP_INDEX_USERNAME: state.packageIndex.username,
    NEURONS_PIP_INDEX_PASSWORD: state.packageIndex.password,
    NEURONS_PIP_INDEX_CA: state.caFile,
  };
}

/** An image reference of the environment's registry, named through another host. */
function throughHost(image: string, from: string, to: string): string {
  return image.startsWith(`${from}/`) ? `${to}${image.slice(from.length)}` : image;
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
export function runCommand(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd = root,
): Promise<CliResult> {
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

/**
 * A namespace of its own per test file, so each run pushes fresh images. Recorded for `npm test`
 * (scripts/test-run.mjs), which removes the namespace's images from the engine once the run ends.
 */
export function uniqueNamespace(prefix: string): string {
  const namespace = `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const record = process.env['NEURONS_TEST_NAMESPACES'];
  if (record) appendFileSync(record, `${namespace}\n`);
  return namespace;
}

/**
 * A registry's access log (the environment's `registry` or `mirror`), read from an offset: what a test's own runs
 * asked of it. The whole log outgrows what one string can hold after a few hundred runs.
 */
export const registryLog = {
  size: async (state: EnvironmentState, registry: 'registry' | 'mirror' = 'registry'): Promise<number> =>
    (await stat(path.join(state.directory, registry, 'registry.log'))).size,
  async since(state: EnvironmentState, offset: number, registry: 'registry' | 'mirror' = 'registry'): Promise<string> {
    const handle = await open(path.join(state.directory, registry, 'registry.log'), 'r');
    try {
      const size = (await handle.stat()).size;
      // A log rotated since (`neurons env up` starts a new one past its size limit) is read from its start.
      const from = offset <= size ? offset : 0;
      const buffer = Buffer.alloc(size - from);
      await handle.read(buffer, 0, buffer.length, from);
      return buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  },
};
