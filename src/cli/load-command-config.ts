import { loadConfig, type Config, type ConfigOverrides } from '../config/load-config.js';
import type { CliIo } from './command.js';

/**
 * The configuration of a command, as `loadConfig` resolves it, and its notice printed: a run that falls back on the
 * local environment says so, so that nobody pushes there believing a registry was configured. `print` is for a
 * command whose stderr has its own format (`watch` writes JSON lines); by default, one `neurons: ...` line.
 */
export async function loadCommandConfig(
  io: CliIo,
  repo: string,
  overrides: ConfigOverrides,
  print = (line: string): void => void io.stderr.write(`neurons: ${line}\n`),
): Promise<Config> {
  const config = await loadConfig(repo, io.env, overrides);
  if (config.notice) print(config.notice);
  return config;
}
