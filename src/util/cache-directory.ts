import { homedir } from 'node:os';
import path from 'node:path';

/** Where neurons keeps what it remembers between runs: `NEURONS_CACHE_DIR`, else `$XDG_CACHE_HOME/neurons`. */
export function cacheDirectory(env: NodeJS.ProcessEnv): string {
  if (env['NEURONS_CACHE_DIR']) return path.resolve(env['NEURONS_CACHE_DIR']);
  return path.join(env['XDG_CACHE_HOME'] || path.join(env['HOME'] || homedir(), '.cache'), 'neurons');
}
