import { readFile } from 'node:fs/promises';
import { environmentDirectory, readEnvironmentState, stateFile } from '../state/environment-state.js';
import type { ResolvedRegistry } from '../registry/endpoint.js';
import type { BaseRuntime, PackageIndexSetting } from './config-types.js';

export interface LocalEnvironmentSettings {
  registry: ResolvedRegistry;
  baseImages: Record<BaseRuntime, string>;
  packageIndex: PackageIndexSetting;
  stateFile: string;
}

/**
 * What the local environment recorded by `neurons env up` supplies when nothing names a registry: its registry, base
 * images and package index (all trusting its CA). Undefined when no environment is recorded.
 */
export async function localEnvironment(
  env: NodeJS.ProcessEnv,
  namespaceOverride: string | undefined,
): Promise<LocalEnvironmentSettings | undefined> {
  const state = await readEnvironmentState(environmentDirectory(env));
  if (!state) return undefined;
  const caPem = await readFile(state.caFile, 'utf8');
  return {
    registry: {
      host: state.registry.host,
      namespace: namespaceOverride ?? state.registry.namespace,
      credentials: { username: state.registry.username, password: state.registry.password },
      ca: [caPem],
      plainHttp: false,
      insecure: false,
    },
    baseImages: state.baseImages,
    packageIndex: {
      url: state.packageIndex.url,
      extraUrl: undefined,
      credentials: { username: state.packageIndex.username, password: state.packageIndex.password },
      caPem,
    },
    stateFile: stateFile(state.directory),
  };
}

/** The line that says the local environment stands in for a registry. */
export function localEnvironmentNotice(local: LocalEnvironmentSettings, env: NodeJS.ProcessEnv): string {
  return `no registry configured: using the local environment (${local.registry.host}, from ${homeRelative(local.stateFile, env)})`;
}

/** `~/...` for a path under the home folder, as a user would write it. */
function homeRelative(file: string, env: NodeJS.ProcessEnv): string {
  const home = env['HOME'];
  return home && file.startsWith(`${home}/`) ? `~/${file.slice(home.length + 1)}` : file;
}
