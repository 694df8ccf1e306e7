import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/load-config.js';
import { UsageError } from '../errors/neurons-error.js';
import { githubReleasePrefix } from '../publish/github-release-target.js';
import { ociPrefix } from '../publish/oci-artifact-target.js';
import { folderTarget, publishTarget, type PublishTarget } from '../publish/targets.js';
import { registerSecret } from '../util/mask.js';
import type { CliIo, ParsedValues } from './command.js';

export const catalogOptionSpecs = {
  publish: { type: 'string', multiple: true },
  sign: { type: 'string' },
  'allow-partial': { type: 'boolean' },
  'expires-days': { type: 'string' },
} as const;

/** The catalog folder first (previous catalogs are read there), then each `--publish` target. */
export function catalogTargets(io: CliIo, values: ParsedValues, output: string, config: Config): PublishTarget[] {
  const token = io.env['NEURONS_PUBLISH_TOKEN'];
  registerSecret(token);
  const ca = [...config.registries.flatMap((registry) => registry.ca), ...(config.packageIndex?.caPem ? [config.packageIndex.caPem] : [])];
  const options = { ca, authorization: token ? `Bearer ${token}` : undefined, caPems: config.trust.caPems, env: io.env, registries: config.registries };
  const isFolder = (target: string): boolean => !/^https?:\/\//.test(target) && !target.startsWith(githubReleasePrefix) && !target.startsWith(ociPrefix);
  const extra = ((values['publish'] as string[] | undefined) ?? []).map((target) => publishTarget(isFolder(target) ? path.resolve(io.cwd, target) : target, options));
  return [folderTarget(output), ...extra];
}

/** The index signing key: `--sign FILE`, else the PEM text in NEURONS_SIGNING_KEY (a CI secret), else none. */
export async function signingKey(io: CliIo, values: ParsedValues): Promise<{ pem: string; origin: string } | undefined> {
  const file = typeof values['sign'] === 'string' ? path.resolve(io.cwd, values['sign']) : undefined;
  if (file) {
    try {
      return { pem: await readFile(file, 'utf8'), origin: file };
    } catch (error) {
      throw new UsageError({ code: 'SIGN_KEY_UNREADABLE', file, message: `cannot read the signing key: ${(error as Error).message}`, hint: 'make one with `neurons keys generate`' });
    }
  }
  const pem = io.env['NEURONS_SIGNING_KEY'];
  registerSecret(pem);
  return pem ? { pem, origin: 'NEURONS_SIGNING_KEY' } : undefined;
}

export function expiresInDays(values: ParsedValues): number {
  const days = Number(values['expires-days'] ?? 30);
  if (!Number.isFinite(days) || days <= 0) throw new UsageError({ code: 'USAGE', message: `--expires-days must be a positive number, not ${String(values['expires-days'])}` });
  return days;
}
