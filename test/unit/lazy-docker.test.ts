import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs `code` (an ES module, from the built package) in a Node of its own, with a fresh module cache; its last line. */
function inFreshNode(code: string): unknown {
  const ran = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
  if (ran.status !== 0) throw new Error(ran.stderr);
  return JSON.parse(ran.stdout.trim().split('\n').at(-1) ?? 'null') as unknown;
}

describe('loadDockerode', () => {
  it('loads dockerode without its SSH transport and BuildKit session, and the SSH transport when it is used', () => {
    const seen = inFreshNode(`
      import { createRequire } from 'node:module';
      import { loadDockerode } from './dist/engine/lazy-docker.js';
      const require = createRequire(import.meta.url);
      const loaded = (name) => Object.keys(require.cache).some((file) => file.includes('/node_modules/' + name + '/'));
      const Docker = loadDockerode();
      const before = { ssh2: loaded('ssh2'), grpc: loaded('@grpc/grpc-js'), api: typeof new Docker().listContainers };
      // An engine over SSH (a closed port on loopback): ssh2 loads when the transport is first asked for.
      const over = new Docker({ protocol: 'ssh', host: '127.0.0.1', port: 1, username: 'nobody' });
      const failed = await over.ping().then(() => 'answered', (error) => error.code ?? error.message);
      console.log(JSON.stringify({ before, after: { ssh2: loaded('ssh2'), failed } }));
    `);
    expect(seen).toEqual({
      before: { ssh2: false, grpc: false, api: 'function' },
      after: { ssh2: true, failed: 'ECONNREFUSED' },
    });
  });
});
