import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/load-config.js';
import { UsageError } from '../errors/neurons-error.js';
import { folderTarget, publishTarget, publishTargetKind, type PublishTarget } from '../publish/targets.js';
import { logRetries } from '../transport/http-transport.js';
import { registerSecret } from '../util/mask.js';
import type { CliIo, OptionSpec, ParsedValues } from './command.js';

export const catalogOptionSpecs = {
  publish: {
    type: 'string',
    multiple: true,
    value: 'TARGET',
    description:
      'also publish to a folder, an https:// URL taking PUT, github-release:OWNER/REPO@TAG, oci://HOST/REPOSITORY:TAG or s3://BUCKET/PREFIX; repeatable',
  },
  sign: {
    type: 'string',
    value: 'KEY',
    description: 'sign the index with this Ed25519 private key (PEM)',
    default: 'NEURONS_SIGNING_KEY, if set',
  },
  'allow-partial': {
    type: 'boolean',
    description: 'write and publish the catalogs even when an entry is left out (exit 1 still)',
  },
  'expires-days': { type: 'string', value: 'N', description: 'days until the index expires', default: '30' },
  'require-signature': { type: 'boolean', description: 'refuse to start without a signing key' },
  'allow-unsigned': { type: 'boolean', description: 'publish unsigned over a signed publication' },
} satisfies OptionSpec;

/** The catalog options usage strings share. */
export const catalogOptionsUsage =
  '[--publish DIR|URL|github-release:OWNER/REPO@TAG|oci://HOST/REPOSITORY:TAG|s3://BUCKET/PREFIX]... [--sign KEY] [--require-signature | --allow-unsigned] [--allow-partial] [--expires-days N]';

/** The catalog folder first (previous catalogs are read there), then each `--publish` target. */
export function catalogTargets(io: CliIo, values: ParsedValues, output: string, config: Config): PublishTarget[] {
  const token = io.env['NEURONS_PUBLISH_TOKEN'];
  registerSecret(token);
  const ca = [
    ...config.registries.flatMap((registry) => registry.ca),
    ...(config.packageIndex?.caPem ? [config.packageIndex.caPem] : []),
  ];
  const onRetry = logRetries((line) => io.stderr.write(`${line}\n`), 'publish');
  const options = {
    ca,
    authorization: token ? `Bearer ${token}` : undefined,
    caPems: config.trust.caPems,
    env: io.env,
    registries: config.registries,
    onRetry,
  };
  // Every value is parsed before any target is made: a bad one is a usage error before anything is read or written.
  const wanted = (values['publish'] as string[] | undefined) ?? [];
  for (const target of wanted) publishTargetKind(target);
  checkFolder(output, '--output');
  for (const target of wanted)
    if (publishTargetKind(target) === 'folder') checkFolder(path.resolve(io.cwd, target), '--publish');
  return [folderTarget(output), ...wanted.map((target) => publishTarget(target, { ...options, cwd: io.cwd }))];
}

/** A catalog folder may be absent (it is made) but not a file: writing under one failed with a stack trace. */
function checkFolder(folder: string, option: string): void {
  let isFolder = true;
  let found: string | undefined;
  for (let current = folder; ; current = path.dirname(current)) {
    // ENOTDIR (a file on the way) counts as absent here: the loop goes up to that file.
    const info = (() => {
      try {
        return statSync(current, { throwIfNoEntry: false });
      } catch {
        return undefined;
      }
    })();
    if (info) {
      isFolder = info.isDirectory();
      found = current;
      break;
    }
    if (path.dirname(current) === current) break;
  }
  if (!isFolder) {
    const what = found === folder ? 'is a file, not a folder' : `cannot be made: ${found ?? ''} is a file`;
    throw new UsageError({
      code: 'CATALOG_OUTPUT_NOT_FOLDER',
      file: folder,
      message: `the catalog folder ${what}`,
      hint: `give ${option} a folder (absent folders are made)`,
    });
  }
}

/** The index signing key: `--sign FILE`, else the PEM text in NEURONS_SIGNING_KEY (a CI secret), else none. */
export async function signingKey(
  io: CliIo,
  values: ParsedValues,
): Promise<{ pem: string; origin: string } | undefined> {
  const file = typeof values['sign'] === 'string' ? path.resolve(io.cwd, values['sign']) : undefined;
  if (file) {
    try {
      return { pem: await readFile(file, 'utf8'), origin: file };
    } catch (error) {
      throw new UsageError({
        code: 'SIGN_KEY_UNREADABLE',
        file,
        message: `cannot read the signing key: ${(error as Error).message}`,
        hint: 'make one with `neurons keys generate`',
      });
    }
  }
  const pem = io.env['NEURONS_SIGNING_KEY'];
  registerSecret(pem);
  return pem ? { pem, origin: 'NEURONS_SIGNING_KEY' } : undefined;
}

/**
 * The signing policy of a run: `--require-signature` (for CI) refuses to start without a key, before anything is
 * built or written; `--allow-unsigned` lets an unsigned run replace a signed publication.
 */
export async function signingPolicy(
  io: CliIo,
  values: ParsedValues,
): Promise<{ signingKey: { pem: string; origin: string } | undefined; allowUnsigned: boolean }> {
  if (values['require-signature'] && values['allow-unsigned'])
    throw new UsageError({
      code: 'USAGE',
      message: '--require-signature and --allow-unsigned contradict each other',
      hint: 'give one of them',
    });
  const key = await signingKey(io, values);
  if (!key && values['require-signature']) {
    throw new UsageError({
      code: 'SIGN_KEY_REQUIRED',
      message: '--require-signature is given but there is no signing key',
      hint: 'pass --sign FILE, or set NEURONS_SIGNING_KEY to the PEM text (a CI secret)',
    });
  }
  return { signingKey: key, allowUnsigned: Boolean(values['allow-unsigned']) };
}

export function expiresInDays(values: ParsedValues): number {
  const days = Number(values['expires-days'] ?? 30);
  if (!Number.isFinite(days) || days <= 0)
    throw new UsageError({
      code: 'USAGE',
      message: `--expires-days must be a positive number, not ${String(values['expires-days'])}`,
    });
  return days;
}
