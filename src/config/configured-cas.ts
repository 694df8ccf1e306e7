import path from 'node:path';
import { readConfigAt } from './parse-config.js';
import { readPem } from './read-pem.js';

/**
 * The CAs a configuration trusts for `host` (`trust.ca`, the `ca` of the registries of that host, and
 * NEURONS_TRUST_CA), read without resolving anything else: no secret needs to be set to ask what is trusted.
 */
export async function configuredCas(
  repo: string,
  env: NodeJS.ProcessEnv,
  options: { configFile?: string; host?: string },
): Promise<{ pems: string[] }> {
  const { file, fromFile } = await readConfigAt(repo, options.configFile);
  const base = path.dirname(file);
  const wanted: Array<{ caFile: string; base: string; origin: string; pointer: string }> = (
    fromFile.trust?.ca ?? []
  ).map((caFile, index) => ({ caFile, base, origin: file, pointer: `/trust/ca/${index}` }));
  for (const [index, registry] of (fromFile.registries ?? []).entries()) {
    if (options.host !== undefined && registry.host !== options.host) continue;
    wanted.push(
      ...(registry.ca ?? []).map((caFile, caIndex) => ({
        caFile,
        base,
        origin: file,
        pointer: `/registries/${index}/ca/${caIndex}`,
      })),
    );
  }
  // The package index's CA, for its host (its own or its extra index's): what builds trust to install dependencies.
  const index = fromFile.packageIndex;
  if (
    index?.ca &&
    (options.host === undefined ||
      [index.url, index.extraUrl].some((url) => url !== undefined && urlHost(url) === options.host))
  ) {
    wanted.push({ caFile: index.ca, base, origin: file, pointer: '/packageIndex/ca' });
  }
  if (env['NEURONS_TRUST_CA'])
    wanted.push({ caFile: env['NEURONS_TRUST_CA'], base: process.cwd(), origin: 'NEURONS_TRUST_CA', pointer: '' });
  return { pems: await Promise.all(wanted.map((item) => readPem(item.caFile, item.base, item.origin, item.pointer))) };
}

/** `host` or `host:port` of a URL, as `ca inspect` names its target (the port only when it is not the scheme's). */
function urlHost(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
