import { UsageError } from '../errors/neurons-error.js';
import { registerSecret } from '../util/mask.js';

/** The value of the environment variable a setting names (`passwordEnv`), masked from then on. */
export function secretFromEnv(
  env: NodeJS.ProcessEnv,
  name: string | undefined,
  file: string,
  pointer: string,
): string | undefined {
  if (!name) return undefined;
  const value = env[name];
  if (value === undefined) {
    throw new UsageError({
      code: 'CONFIG_SECRET_MISSING',
      file,
      pointer,
      message: `environment variable ${name} is not set`,
      hint: `export ${name}=... before running neurons`,
    });
  }
  registerSecret(value);
  return value;
}

/** The password of a URL as written (percent-encoded) and decoded: either may be printed. */
export function passwordIn(url: string): string[] {
  try {
    const password = new URL(url).password;
    return password ? [password, decodeURIComponent(password)] : [];
  } catch {
    return [];
  }
}
