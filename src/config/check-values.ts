import { createPrivateKey } from 'node:crypto';
import path from 'node:path';
import type { ConfigFile } from './schema.js';
import { UsageError } from '../errors/neurons-error.js';
import {
  explainInvalidHost,
  explainInvalidPath,
  explainInvalidReference,
  maxNameLength,
} from '../images/reference-syntax.js';
import { parsePlatform } from '../oci/platform.js';
import { escapePointerToken } from '../definitions/json-positions.js';
import { parseCertificates, splitCertificates } from '../trust/pem.js';

/**
 * Checks of configuration values that no JSON Schema pattern expresses well: references, PEM contents, paths.
 * `origin` is the file, the flag or the variable the value came from; `pointer` the field within a file.
 */
export interface ValueOrigin {
  origin: string;
  pointer?: string;
}

function refuse(code: string, where: ValueOrigin, message: string, hint: string): never {
  throw new UsageError({
    code,
    file: where.origin,
    ...(where.pointer ? { pointer: where.pointer } : {}),
    message,
    hint,
  });
}

/** A registry host and namespace: together with `/` and a worker name they must stay within 255 characters. */
export function checkRegistry(
  host: string,
  namespace: string,
  hostFrom: ValueOrigin,
  namespaceFrom: ValueOrigin,
): void {
  const badHost = explainInvalidHost(host);
  if (badHost)
    refuse(
      'CONFIG_REGISTRY_INVALID',
      hostFrom,
      `registry host: ${badHost}`,
      'give a host name with an optional port, e.g. registry.example.org:5000',
    );
  const badNamespace = explainInvalidPath(namespace);
  if (badNamespace)
    refuse(
      'CONFIG_REGISTRY_INVALID',
      namespaceFrom,
      `namespace: ${badNamespace}`,
      'give a repository path such as `cortex` or `team/cortex`',
    );
  // Room for `/` and a one-character worker name.
  if (host.length + 1 + namespace.length + 2 > maxNameLength) {
    refuse(
      'CONFIG_REGISTRY_INVALID',
      namespaceFrom,
      `${host}/${namespace} leaves no room for a worker name within the ${maxNameLength} characters of an image name`,
      'use a shorter namespace',
    );
  }
}

/**
 * The namespace given by flag or variable, whichever registry it ends up with (the file's, the variable's or the
 * local environment's): checked first, before anything else is read.
 */
export function checkNamespaceOverride(namespace: string | undefined, origin: string): void {
  const reason = namespace === undefined ? undefined : explainInvalidPath(namespace);
  if (reason)
    refuse(
      'CONFIG_REGISTRY_INVALID',
      { origin },
      `namespace: ${reason}`,
      'give a repository path such as `cortex` or `team/cortex`',
    );
}

export function checkBaseImage(reference: string, where: ValueOrigin): void {
  const reason = explainInvalidReference(reference);
  if (reason)
    refuse(
      'CONFIG_BASE_IMAGE_INVALID',
      where,
      `base image: ${reason}`,
      'give an image reference such as python:3.12-slim-bookworm',
    );
}

/** A shared folder (`workers.<Dir>.uses`): relative to the repository root, and inside it. */
export function checkSharedFolder(folder: string, where: ValueOrigin): void {
  const normalized = path.posix.normalize(folder.replaceAll('\\', '/'));
  if (
    path.posix.isAbsolute(normalized) ||
    normalized === '..' ||
    normalized.startsWith('../') ||
    /^[A-Za-z]:/.test(folder) ||
    folder.includes('\0')
  ) {
    refuse(
      'CONFIG_USES_OUTSIDE',
      where,
      `\`${folder}\` is not a folder inside the repository`,
      'name a folder relative to the repository root, without `..`',
    );
  }
}

/**
 * `workers.<Dir>.smoke.skip`: an image published without a test is a decision someone made, so it says why; the
 * reason is printed on every run.
 */
export function checkSmokeSkip(reason: string, where: ValueOrigin): void {
  if (reason.trim() === '')
    refuse(
      'CONFIG_SMOKE_SKIP_REASON',
      where,
      'smoke.skip needs a reason, not an empty string',
      'write why this worker cannot be smoke-tested, e.g. "needs a licensed service"; or remove smoke.skip',
    );
}

/** PEM text that must hold certificates (a CA file): every block must parse, and there must be at least one. */
export function checkCertificatesPem(text: string, file: string, where: ValueOrigin): void {
  const blocks = splitCertificates(text);
  const parsed = parseCertificates(blocks);
  if (blocks.length === 0 || parsed.length !== blocks.length) {
    const found =
      blocks.length === 0
        ? 'no PEM certificate'
        : `${blocks.length - parsed.length} of its ${blocks.length} certificates cannot be parsed`;
    refuse(
      'CONFIG_CA_INVALID',
      where,
      `CA file ${file}: ${found}`,
      'give a PEM file of CA certificates (-----BEGIN CERTIFICATE-----)',
    );
  }
}

/** PEM text of a private key (a client key). */
export function checkPrivateKeyPem(text: string, file: string, where: ValueOrigin): void {
  try {
    createPrivateKey(text);
  } catch {
    refuse(
      'CONFIG_CA_INVALID',
      where,
      `key file ${file} holds no readable private key`,
      'give the PEM private key of the client certificate (unencrypted)',
    );
  }
}

/** Every value of a configuration file that its schema cannot check, with the field's pointer. */
export function checkConfigFileValues(config: ConfigFile, file: string): void {
  for (const [index, registry] of (config.registries ?? []).entries()) {
    checkRegistry(
      registry.host,
      registry.namespace,
      { origin: file, pointer: `/registries/${index}/host` },
      { origin: file, pointer: `/registries/${index}/namespace` },
    );
  }
  for (const [runtime, reference] of Object.entries(config.baseImages ?? {}))
    checkBaseImage(reference, { origin: file, pointer: `/baseImages/${runtime}` });
  for (const [worker, settings] of Object.entries(config.workers ?? {})) {
    for (const [index, folder] of (settings.uses ?? []).entries())
      checkSharedFolder(folder, { origin: file, pointer: `/workers/${worker}/uses/${index}` });
    for (const [index, platform] of (settings.platforms ?? []).entries())
      parsePlatform(platform, file, `/workers/${worker}/platforms/${index}`);
    if (settings.smoke?.skip !== undefined)
      checkSmokeSkip(settings.smoke.skip, {
        origin: file,
        pointer: `/workers/${escapePointerToken(worker)}/smoke/skip`,
      });
  }
  for (const [index, platform] of (config.platforms ?? []).entries())
    parsePlatform(platform, file, `/platforms/${index}`);
}

/**
 * A username and a password come as a pair: half of one used to be dropped silently, and the run went on
 * anonymously until a registry refused it. `where` names the setting that is missing.
 */
export function pairedCredentials(
  username: string | undefined,
  password: string | undefined,
  missingUsername: ValueOrigin,
  missingPassword: ValueOrigin,
): { username: string; password: string } | undefined {
  if (username && password) return { username, password };
  if (username)
    refuse(
      'CONFIG_CREDENTIALS_INCOMPLETE',
      missingPassword,
      `a username (${username}) without a password`,
      'set the password too, or neither',
    );
  if (password)
    refuse(
      'CONFIG_CREDENTIALS_INCOMPLETE',
      missingUsername,
      'a password without a username',
      'set the username too, or neither',
    );
  return undefined;
}
