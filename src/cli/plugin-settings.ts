/**
 * Drone plugin mode: `settings:` of a step arrive as `PLUGIN_<NAME>` variables (upper case, `-` as `_`); lists
 * arrive comma-separated. `PLUGIN_COMMAND` names the command (default `pipeline`); every other setting becomes the
 * option of the same name. `PLUGIN_PASSWORD` and `PLUGIN_USERNAME` (usually `from_secret`) become the registry
 * credentials, through the environment, never on a command line.
 */
export function argvFromPluginSettings(env: NodeJS.ProcessEnv): string[] | undefined {
  const settings = Object.entries(env).filter(([key]) => key.startsWith('PLUGIN_'));
  if (settings.length === 0) return undefined;
  const argv = [env['PLUGIN_COMMAND'] || 'pipeline'];
  const credentials = new Set(['PLUGIN_COMMAND', 'PLUGIN_USERNAME', 'PLUGIN_PASSWORD', 'PLUGIN_SIGNING_KEY']);
  for (const [key, value] of settings.sort(([a], [b]) => a.localeCompare(b))) {
    if (credentials.has(key) || value === undefined || value === '') continue;
    const option = `--${key.slice('PLUGIN_'.length).toLowerCase().replaceAll('_', '-')}`;
    if (value === 'true') argv.push(option);
    else if (value === 'false') continue;
    else for (const item of value.split(',')) argv.push(option, item.trim());
  }
  if (env['PLUGIN_USERNAME']) env['NEURONS_REGISTRY_USERNAME'] = env['PLUGIN_USERNAME'];
  if (env['PLUGIN_PASSWORD']) env['NEURONS_REGISTRY_PASSWORD'] = env['PLUGIN_PASSWORD'];
  if (env['PLUGIN_SIGNING_KEY']) env['NEURONS_SIGNING_KEY'] = env['PLUGIN_SIGNING_KEY'];
  return argv;
}
