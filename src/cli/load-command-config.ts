import { loadConfig, type Config, type ConfigOverrides } from '../config/load-config.js';
import type { CliIo } from './command.js';

/**
 * The configuration of a command, as `loadConfig` resolves it, and its notice printed on stderr: a run that falls
 * back on the local environment says so, so that nobody pushes there believing a registry was configured.
 */
export async function loadCommandConfig(io: CliIo, repo: string, overrides: ConfigOverrides): Promise<Config> {
  const config = await loadConfig(repo, io.env, overrides);
  if (config.notice) io.stderr.write(`neurons: ${config.notice}\n`);
  return config;
}
