import type { TarEntry } from '../oci/tar.js';
import { NeuronsError } from '../errors/neurons-error.js';

/**
 * Refuses a layer in which any file or link holds a credential or a path of the machine that made it. The tools are
 * told neither, in principle; this is the check that they kept to it (a RECORD, a shebang, a cached URL).
 */
export function findLeak(
  entries: TarEntry[],
  forbidden: { secrets: Array<string | undefined>; paths: string[] },
): { entry: string; what: 'secret' | 'path'; path?: string } | undefined {
  const needles = [
    ...forbidden.secrets
      .filter((secret): secret is string => !!secret)
      .map((value) => ({ what: 'secret' as const, bytes: Buffer.from(value) })),
    ...forbidden.paths
      .filter((value) => value.length > 1)
      .map((value) => ({ what: 'path' as const, bytes: Buffer.from(value), path: value })),
  ];
  for (const entry of entries) {
    const haystack = entry.type === 'symlink' ? Buffer.from(entry.linkTarget ?? '') : entry.data;
    for (const needle of needles) {
      if (haystack?.includes(needle.bytes) || entry.name.includes(needle.bytes.toString()))
        return { entry: entry.name, what: needle.what, ...(needle.what === 'path' ? { path: needle.path } : {}) };
    }
  }
  return undefined;
}

export function assertNoLeak(
  entries: TarEntry[],
  forbidden: { secrets: Array<string | undefined>; paths: string[] },
  file: string,
): void {
  const leak = findLeak(entries, forbidden);
  if (!leak) return;
  throw new NeuronsError({
    code: 'DEPS_LAYER_LEAK',
    file,
    message: `the dependency layer would carry ${leak.what === 'secret' ? 'a credential' : `a path of this machine (${leak.path ?? ''})`} in ${leak.entry}`,
    hint: 'the layer is not pushed; build this worker in a container (the engine) and report the package that writes it',
  });
}
