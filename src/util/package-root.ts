import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let found: string | undefined;

/** The folder of neurons' own package.json, whether running from dist/ or src/ (looked up once). */
export function packageRoot(): string {
  if (found) return found;
  let directory = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(directory, 'package.json'))) {
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error('neurons: package.json not found above the running code');
    directory = parent;
  }
  found = directory;
  return directory;
}
