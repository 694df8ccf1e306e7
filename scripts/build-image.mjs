#!/usr/bin/env node
// Builds the toolkit's own image (image/Dockerfile): the package as `npm pack` makes it, its production
// dependencies installed from the lockfile, on a base with Node >= 20.18 and git.
//   npm run image -- [--base REF] [--tag REF] [--push] [--offline]
// --offline installs the dependencies from the npm cache alone (what `npm ci` put there): no network.
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    base: { type: 'string', default: 'node:20-bookworm' },
    tag: { type: 'string' },
    push: { type: 'boolean', default: false },
    offline: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});

function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(output)
        : reject(
            new Error(
              `${command} ${args.join(' ')} exited ${code}:\n${output.trim().split('\n').slice(-20).join('\n')}`,
            ),
          ),
    );
  });
}

const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
const tag = values.tag ?? `neurons:${manifest.version}`;
const revision = (await run('git', ['rev-parse', 'HEAD'], { cwd: root }).catch(() => 'unknown')).trim();
const stage = await mkdtemp(path.join(tmpdir(), 'neurons-image-'));
const started = Date.now();
try {
  // The package exactly as published (the `files` of package.json: bin, dist, templates); dist must be built.
  const packed = (
    await run('npm', ['pack', '--ignore-scripts', '--pack-destination', stage, '--json'], { cwd: root })
  ).trim();
  const [{ filename }] = JSON.parse(packed.slice(packed.indexOf('[')));
  await run('tar', ['-xzf', path.join(stage, filename), '-C', stage]);
  await copyFile(path.join(root, 'package-lock.json'), path.join(stage, 'package', 'package-lock.json'));
  // Install scripts are skipped: the only ones (ssh2's optional native crypto, protobufjs) are optional.
  await run(
    'npm',
    ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', ...(values.offline ? ['--offline'] : [])],
    { cwd: path.join(stage, 'package') },
  );
  await rm(path.join(stage, 'package', 'package-lock.json'));
  await copyFile(path.join(root, 'image', 'Dockerfile'), path.join(stage, 'Dockerfile'));
  await run(
    'docker',
    [
      'build',
      '--network',
      'host',
      '--build-arg',
      `BASE=${values.base}`,
      '--build-arg',
      `VERSION=${manifest.version}`,
      '--build-arg',
      `REVISION=${revision}`,
      '--tag',
      tag,
      stage,
    ],
    { env: { ...process.env, DOCKER_BUILDKIT: '0' } },
  );
  if (values.push) await run('docker', ['push', tag]);
  console.log(
    `${tag}: built from ${values.base} in ${((Date.now() - started) / 1000).toFixed(1)} s${values.push ? ', pushed' : ''}`,
  );
} catch (error) {
  console.error(`image build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  if (values.keep) console.log(`context kept: ${stage}`);
  else await rm(stage, { recursive: true, force: true });
}
