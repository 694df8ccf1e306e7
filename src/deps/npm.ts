import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NeuronsError } from '../errors/neurons-error.js';
import { registerSecret } from '../util/mask.js';
import { printable } from '../util/printable.js';
import { stripCredentials } from './pip-report.js';
import { baseEnvironment, runTool, type ToolResult } from './run-tool.js';

/**
 * The `.npmrc` of one install, written outside the folder npm installs in (so never in the layer): the registry without
 * credentials, and its credentials for that registry alone (`//host/path/:_auth`), as npm wants them.
 */
export function npmrcText(registry: string | undefined): string {
  if (!registry) return '';
  const parsed = new URL(registry);
  const lines = [`registry=${stripCredentials(registry)}`];
  if (parsed.username || parsed.password) {
    const auth = Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString(
      'base64',
    );
    registerSecret(decodeURIComponent(parsed.password));
    registerSecret(auth);
    lines.push(`//${parsed.host}${parsed.pathname}:_auth=${auth}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Runs npm with its configuration in `configDirectory` alone: neither the user's nor the machine's `.npmrc` (their
 * registry, scripts or platform settings would change what a worker gets).
 */
export async function runNpm(
  args: string[],
  options: { cwd: string; configDirectory: string; registry: string | undefined },
): Promise<ToolResult> {
  const userConfig = path.join(options.configDirectory, 'npmrc');
  const globalConfig = path.join(options.configDirectory, 'global-npmrc');
  await writeFile(userConfig, npmrcText(options.registry), { mode: 0o600 });
  await writeFile(globalConfig, '');
  const env = {
    ...baseEnvironment(),
    NPM_CONFIG_USERCONFIG: userConfig,
    NPM_CONFIG_GLOBALCONFIG: globalConfig,
    NPM_CONFIG_UPDATE_NOTIFIER: 'false',
  };
  return runTool('npm', args, { cwd: options.cwd, env });
}

export function npmFailure(result: ToolResult, file: string): NeuronsError {
  const lines = printable(`${result.stderr}\n${result.stdout}`)
    .split('\n')
    .map((line) => line.trimEnd())
    .filter(Boolean);
  return new NeuronsError({
    code: 'DEPS_NPM_FAILED',
    file,
    message: `npm ci failed (exit ${result.status}): ${lines.slice(-6).join(' | ')}`,
    hint: 'check that package-lock.json matches package.json (`npm install` updates it) and the npm registry settings',
  });
}
