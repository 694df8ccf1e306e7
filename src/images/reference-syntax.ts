/**
 * The image reference grammar of distribution/reference (the Docker client's), which the OCI distribution spec
 * follows. One owner for the syntax: values from catalogs, configuration and flags are checked here before they
 * reach an engine, a registry or a file.
 */

/** distribution/reference `NameTotalLengthMax`: host, port, `/` and path together. */
export const maxNameLength = 255;
/** The distribution spec: a tag is at most 128 characters. */
export const maxTagLength = 128;

const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6 = '\\[[0-9a-fA-F:.]+\\]';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|${ipv6})(?::[0-9]+)?`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const path = `${pathComponent}(?:/${pathComponent})*`;
const tag = `[\\w][\\w.-]{0,${maxTagLength - 1}}`;
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const hostPattern = new RegExp(`^${host}$`);
const pathPattern = new RegExp(`^${path}$`);
const referencePattern = new RegExp(`^((?:${host}/)?${path})(?::${tag})?(?:@${digest})?$`);

/** A value as quoted in a message: a hostile one may be megabytes long or hold line breaks. */
export function quoted(value: string): string {
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 60)}...` : value);
  return `\`${shown.slice(1, -1)}\``;
}

/** Why `value` is not a registry host (`name[.name][:port]`), or undefined when it is one. */
export function explainInvalidHost(value: string): string | undefined {
  if (value.length > maxNameLength)
    return `${value.length} characters, more than the ${maxNameLength} a reference may have`;
  return hostPattern.test(value)
    ? undefined
    : `${quoted(value)} is not a registry host (\`name[.name][:port]\`, no scheme or path)`;
}

/** Why `value` is not a repository path (lower-case components separated by `/`), or undefined when it is one. */
export function explainInvalidPath(value: string): string | undefined {
  if (value.length > maxNameLength)
    return `${value.length} characters, more than the ${maxNameLength} a reference may have`;
  return pathPattern.test(value)
    ? undefined
    : `${quoted(value)} is not a repository path (lower-case letters and digits separated by \`.\`, \`_\`, \`__\`, dashes or \`/\`)`;
}

/** Why `value` is not an image reference (`[host[:port]/]path[:tag][@digest]`), or undefined when it is one. */
export function explainInvalidReference(value: string): string | undefined {
  // Checked first so that a huge value is refused without running the pattern over it.
  if (value.length > maxNameLength + 1 + maxTagLength + 1 + 7 + 128)
    return `${value.length} characters: too long for an image reference`;
  const match = referencePattern.exec(value);
  if (!match) return `${quoted(value)} is not an image reference (\`[host[:port]/]path[:tag][@digest]\`)`;
  const name = match[1] ?? '';
  if (name.length > maxNameLength)
    return `its name has ${name.length} characters, more than the ${maxNameLength} a reference may have`;
  return undefined;
}
