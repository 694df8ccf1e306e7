import path from 'node:path';
import { UsageError } from '../errors/neurons-error.js';
import { readFileWithin, sizeLimits, TooLargeError } from '../util/size-limits.js';
import { checkCertificatesPem, checkPrivateKeyPem } from './check-values.js';

/** Reads a PEM file and checks that it holds what it is for: certificates (the default), or a private key. */
export async function readPem(
  file: string,
  base: string,
  origin: string,
  pointer: string,
  holds: 'certificates' | 'key' = 'certificates',
): Promise<string> {
  const resolved = path.resolve(base, file);
  let text: string;
  try {
    text = (await readFileWithin(resolved, sizeLimits.settingsFile)).toString('utf8');
  } catch (error) {
    if (error instanceof TooLargeError)
      throw new UsageError({
        code: 'CONFIG_CA_INVALID',
        file: origin,
        pointer,
        message: `CA file ${resolved}: ${error.message}`,
        hint: 'give a PEM file of CA certificates',
      });
    throw new UsageError({
      code: 'CONFIG_CA_MISSING',
      file: origin,
      pointer,
      message: `CA file ${resolved} cannot be read: ${(error as Error).message}`,
      hint: 'give the path of a PEM certificate, relative to the configuration file',
    });
  }
  // Garbage here used to be dropped silently, leaving a registry untrusted for no visible reason.
  if (holds === 'key') checkPrivateKeyPem(text, resolved, { origin, pointer });
  else checkCertificatesPem(text, resolved, { origin, pointer });
  return text;
}
