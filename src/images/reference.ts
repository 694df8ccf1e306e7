export interface ImageReference {
  /** Registry host as written in references (`docker.io` for Docker Hub). */
  host: string;
  /** Repository path in the registry (`library/python` for Docker Hub's official images). */
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
}

/** Parses `[host[:port]/]path[:tag][@sha256:...]` the way the Docker engine does. */
export function parseImageReference(reference: string): ImageReference {
  const [nameAndTag = '', digest] = reference.split('@');
  const slash = nameAndTag.indexOf('/');
  const first = slash === -1 ? '' : nameAndTag.slice(0, slash);
  const hasHost = slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const host = hasHost ? first : 'docker.io';
  let rest = hasHost ? nameAndTag.slice(slash + 1) : nameAndTag;
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const repository = host === 'docker.io' && !rest.includes('/') ? `library/${rest}` : rest;
  return { host, repository, tag, digest };
}

/** `name:tag@digest`: a reference pinned to one exact image, still readable. */
export function pinnedReference(reference: string, digest: string): string {
  return `${reference.split('@')[0]}@${digest}`;
}
