import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KeyAndCertificate } from '../ca/certificates.js';
import { packageRoot } from '../util/package-root.js';
import { answersOk } from './https-answers.js';
import { writeServiceCertificate } from './service-certificate.js';
import { isAlive, startDetached, waitFor } from './processes.js';
import { buildWheel, type WheelMeta } from './wheel.js';

export interface PackageIndex {
  url: string;
  username: string;
  password: string;
  pid: number | undefined;
}

/** Builds a wheel for each `<name>/meta.json` + `<name>/src/` under `sourceRoot`; returns whether anything changed. */
async function buildWheels(sourceRoot: string, wheelRoot: string): Promise<boolean> {
  await mkdir(wheelRoot, { recursive: true });
  let changed = false;
  const names = existsSync(sourceRoot) ? await readdir(sourceRoot) : [];
  for (const name of names.sort()) {
    const metaFile = path.join(sourceRoot, name, 'meta.json');
    if (!existsSync(metaFile)) continue;
    const meta = JSON.parse(await readFile(metaFile, 'utf8')) as WheelMeta;
    const wheel = await buildWheel(meta, path.join(sourceRoot, name, 'src'));
    const target = path.join(wheelRoot, wheel.fileName);
    if (existsSync(target) && (await readFile(target)).equals(wheel.data)) continue;
    await writeFile(target, wheel.data);
    changed = true;
  }
  return changed;
}

/** Serves the test packages over HTTPS on loopback (same private CA), with basic authentication. */
export async function ensurePackageIndex(options: {
  directory: string;
  host: string;
  port: number;
  ca: KeyAndCertificate;
  previous: { username: string; password: string } | undefined;
  previousPid: number | undefined;
  log: (line: string) => void;
}): Promise<PackageIndex> {
  const directory = path.join(options.directory, 'package-index');
  const wheelRoot = path.join(directory, 'packages');
  const changed = await buildWheels(path.join(packageRoot(), 'test', 'index-packages'), wheelRoot);
  const username = options.previous?.username ?? 'pip';
  const password = options.previous?.password ?? randomBytes(18).toString('base64url');
  const url = `https://${options.host}:${options.port}/simple/`;
  const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  if (options.previous && (await answersOk(url, authorization, options.ca.certificatePem))) {
    options.log(`package index: running on ${url}${changed ? ' (wheels rebuilt)' : ''}`);
    return { url, username, password, pid: options.previousPid };
  }
  if (isAlive(options.previousPid)) process.kill(options.previousPid ?? 0, 'SIGTERM');
  const { certificateFile, keyFile } = await writeServiceCertificate(options.ca, options.host, directory);
  const configFile = path.join(directory, 'config.json');
  const config = {
    root: wheelRoot,
    host: options.host,
    port: options.port,
    username,
    password,
    certificateFile,
    keyFile,
  };
  await writeFile(configFile, JSON.stringify(config), { mode: 0o600 });
  const entry = path.join(packageRoot(), 'dist', 'environment', 'package-index-server.js');
  const pid = startDetached(process.execPath, [entry, configFile], path.join(directory, 'index.log'));
  await waitFor(
    'package index',
    () => answersOk(url, authorization, options.ca.certificatePem),
    15_000,
    `see ${path.join(directory, 'index.log')}`,
  );
  options.log(`package index: started on ${url} (pid ${pid})`);
  return { url, username, password, pid };
}
