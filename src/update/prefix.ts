import { UsageError } from '../errors/neurons-error.js';
import { explainInvalidHost, explainInvalidPath } from '../images/reference-syntax.js';

/** The first path segment of a reference is a registry host when it has a dot or a port, or is `localhost` (Docker's rule). */
function isRegistryHost(segment: string): boolean {
  return segment.includes('.') || segment.includes(':') || segment === 'localhost';
}

/**
 * Checks a `--registry-prefix`: `host[:port]` with an optional path (`mirror.example:5000/cortex`), no scheme.
 * Returns it without trailing slashes.
 */
export function parseRegistryPrefix(prefix: string): string {
  const trimmed = prefix.trim().replace(/\/+$/, '');
  const [host = '', ...path] = trimmed.split('/');
  const invalid = explainInvalidHost(host) ?? (path.length > 0 ? explainInvalidPath(path.join('/')) : undefined);
  if (trimmed === '' || /:\/\/|[\s@]/.test(trimmed) || !isRegistryHost(host) || invalid) {
    throw new UsageError({
      code: 'UPDATE_PREFIX_INVALID',
      file: '--registry-prefix',
      message: `--registry-prefix ${JSON.stringify(prefix.slice(0, 80))} is not a registry: expected host[:port][/path], without a scheme`,
      hint: 'for example --registry-prefix mirror.example:5000',
    });
  }
  return trimmed;
}

/**
 * Points an image at a mirror, like the engine's `docker.imageRegistryPrefix`, but with the `/` the engine leaves to
 * the user. An image without a registry host (Docker Hub) gets the prefix in front: `mirror:5000/cortexneurons/x:1`.
 * An image that names a host gets that host replaced, its path kept: a mirror holds the same repositories as the
 * registry it mirrors, and `mirror/registry.example/...` is a repository no mirror serves.
 */
export function applyRegistryPrefix(image: string, prefix: string | undefined): string {
  if (prefix === undefined) return image;
  const slash = image.indexOf('/');
  const first = slash === -1 ? '' : image.slice(0, slash);
  const path = slash !== -1 && isRegistryHost(first) ? image.slice(slash + 1) : image;
  return `${prefix}/${path}`;
}
