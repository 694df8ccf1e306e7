import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Integration tests run against the real environment: the same `neurons env up` that the demo and CI use
 * (idempotent: seconds when everything is already up). The CLI under test is the compiled one, so build first.
 */
export default function setup(): void {
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('TypeScript build failed');
  const up = spawnSync(path.join(root, 'bin', 'neurons'), ['env', 'up'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 40 * 60 * 1000,
  });
  if (up.status !== 0) throw new Error(`neurons env up failed (exit ${up.status ?? up.signal})`);
}
