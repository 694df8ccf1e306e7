import { generateKeyPairSync } from 'node:crypto';
import { validRepo, type FixtureFile, type HostileCase } from './case.js';

const registry = { host: 'registry.example', namespace: 'cortex' };
const generate = ['generate', '--offline', '--repo', '{dir}/repo'];
const dryBuild = ['build', '--dry-run', '--offline', '--repo', '{dir}/repo'];
const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string;
const brokenCertificate = '-----BEGIN CERTIFICATE-----\nMIIBnotbase64!!\n-----END CERTIFICATE-----\n';

/** `generate` with this `neurons.json` (and extra files) must refuse it before writing any Dockerfile. */
function badConfig(
  name: string,
  config: object,
  code: string,
  names: string | RegExp,
  extra: Record<string, FixtureFile> = {},
  env: Record<string, string> = {},
): HostileCase {
  return {
    name,
    files: { ...validRepo(), 'repo/neurons.json': JSON.stringify({ registries: [registry], ...config }), ...extra },
    argv: generate,
    env,
    exit: 2,
    code,
    names,
    untouched: ['repo/build'],
  };
}

/** `build --dry-run` with these flags or variables must refuse them before anything is read from a registry. */
function badSetting(
  name: string,
  argv: string[],
  env: Record<string, string>,
  code: string,
  names: string | RegExp,
  exit: 2 | 3 = 2,
): HostileCase {
  return { name, files: validRepo(), argv: [...dryBuild, ...argv], env, exit, code, names, untouched: ['repo'] };
}

/** A Docker client configuration (`$DOCKER_CONFIG/config.json`) neurons must not silently ignore. */
function badDockerConfig(
  name: string,
  content: string,
  code: string,
  names: string | RegExp,
  exit: 2 | 3 = 2,
): HostileCase {
  return {
    ...badConfig(name, {}, code, names, { 'docker/config.json': content }, { DOCKER_CONFIG: '{dir}/docker' }),
    exit,
  };
}

const caCases: Array<[string, string | Buffer]> = [
  ['garbage', 'this is not a certificate\n'],
  ['an empty file', ''],
  ['a certificate block that is not base64', brokenCertificate],
  ['a private key and no certificate', privateKey],
  ['DER bytes', Buffer.from([0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00])],
  ['a 2 MiB file', 'A'.repeat(2 * 1024 * 1024)],
];

export const configCases: HostileCase[] = [
  ...caCases.map(([what, content]) =>
    badConfig(`trust.ca: ${what}`, { trust: { ca: ['ca.pem'] } }, 'CONFIG_CA_INVALID', '/trust/ca/0', {
      'repo/ca.pem': content,
    }),
  ),
  badConfig(
    'trust.ca: one good-looking block and one broken',
    { trust: { ca: ['ca.pem'] } },
    'CONFIG_CA_INVALID',
    '/trust/ca/0',
    { 'repo/ca.pem': `${brokenCertificate}${brokenCertificate}` },
  ),
  badConfig('trust.ca: a folder', { trust: { ca: ['.'] } }, 'CONFIG_CA_MISSING', '/trust/ca/0'),
  badConfig(
    'registries[].ca: garbage',
    { registries: [{ ...registry, ca: ['ca.pem'] }] },
    'CONFIG_CA_INVALID',
    '/registries/0/ca/0',
    { 'repo/ca.pem': 'garbage' },
  ),
  badConfig(
    'registries[].clientKey: a certificate where the key should be',
    { registries: [{ ...registry, clientCertificate: 'ca.pem', clientKey: 'ca.pem' }] },
    'CONFIG_CA_INVALID',
    /\/registries\/0\/client/,
    { 'repo/ca.pem': brokenCertificate },
  ),
  badConfig(
    'registries[].clientKey: garbage',
    { registries: [{ ...registry, clientCertificate: 'key.pem', clientKey: 'garbage.pem' }] },
    'CONFIG_CA_INVALID',
    /\/registries\/0\/client/,
    { 'repo/key.pem': privateKey, 'repo/garbage.pem': 'garbage' },
  ),
  badConfig(
    'packageIndex.ca: garbage',
    { packageIndex: { url: 'https://pypi.example/simple', ca: 'ca.pem' } },
    'CONFIG_CA_INVALID',
    '/packageIndex/ca',
    { 'repo/ca.pem': 'garbage' },
  ),
  badConfig(
    'NEURONS_TRUST_CA: garbage',
    {},
    'CONFIG_CA_INVALID',
    'NEURONS_TRUST_CA',
    { 'ca.pem': 'garbage' },
    { NEURONS_TRUST_CA: '{dir}/ca.pem' },
  ),
  badConfig(
    'NEURONS_PIP_INDEX_CA: garbage',
    {},
    'CONFIG_CA_INVALID',
    'NEURONS_PIP_INDEX_CA',
    { 'ca.pem': 'garbage' },
    { NEURONS_PIP_INDEX_URL: 'https://pypi.example/simple', NEURONS_PIP_INDEX_CA: '{dir}/ca.pem' },
  ),
  badSetting(
    'NEURONS_REGISTRY_CA: garbage',
    [],
    { NEURONS_REGISTRY: 'registry.example', NEURONS_REGISTRY_CA: '{dir}/repo/analyzers/Hash/README.md' },
    'CONFIG_CA_INVALID',
    'NEURONS_REGISTRY_CA',
  ),

  badConfig(
    'a registry host with a leading dash',
    { registries: [{ ...registry, host: '-registry.example' }] },
    'CONFIG_REGISTRY_INVALID',
    '/registries/0/host',
  ),
  badConfig(
    'a registry host with an empty label',
    { registries: [{ ...registry, host: 'registry..example' }] },
    'CONFIG_REGISTRY_INVALID',
    '/registries/0/host',
  ),
  badConfig(
    'a registry host of 300 characters',
    { registries: [{ ...registry, host: `${'a'.repeat(300)}.example` }] },
    'CONFIG_REGISTRY_INVALID',
    '/registries/0/host',
  ),
  badConfig(
    'a namespace of 300 characters',
    { registries: [{ ...registry, namespace: 'a'.repeat(300) }] },
    'CONFIG_REGISTRY_INVALID',
    '/registries/0/namespace',
  ),
  badConfig(
    'a namespace that leaves no room for a name',
    { registries: [{ ...registry, namespace: `${'a/'.repeat(118)}a` }] },
    'CONFIG_REGISTRY_INVALID',
    '/registries/0/namespace',
  ),
  badConfig(
    'a registry host with a scheme',
    { registries: [{ ...registry, host: 'https://registry.example' }] },
    'CONFIG_INVALID',
    '/registries/0/host',
  ),
  badSetting(
    '--registry with a scheme',
    ['--registry', 'https://registry.example'],
    {},
    'CONFIG_REGISTRY_INVALID',
    '--registry',
  ),
  badSetting('--registry that is a flag', ['--registry=--privileged'], {}, 'CONFIG_REGISTRY_INVALID', '--registry'),
  badSetting(
    '--registry with a shell command',
    ['--registry', 'x; rm -rf /'],
    {},
    'CONFIG_REGISTRY_INVALID',
    '--registry',
  ),
  badSetting(
    '--registry with a path',
    ['--registry', 'registry.example/cortex'],
    {},
    'CONFIG_REGISTRY_INVALID',
    '--registry',
  ),
  badSetting(
    '--registry of 10,000 characters',
    ['--registry', 'a'.repeat(10_000)],
    {},
    'CONFIG_REGISTRY_INVALID',
    '--registry',
  ),
  badSetting(
    '--registry with a port that is not a number',
    ['--registry', 'registry.example:http'],
    {},
    'CONFIG_REGISTRY_INVALID',
    '--registry',
  ),
  badSetting(
    '--namespace with a character no case fixes',
    ['--registry', 'registry.example', '--namespace', 'Cortex!'],
    {},
    'CONFIG_REGISTRY_INVALID',
    '--namespace',
  ),
  badSetting(
    '--namespace with ..',
    ['--registry', 'registry.example', '--namespace', '../cortex'],
    {},
    'CONFIG_REGISTRY_INVALID',
    '--namespace',
  ),
  badSetting(
    '--namespace with an empty component',
    ['--registry', 'registry.example', '--namespace', 'a//b'],
    {},
    'CONFIG_REGISTRY_INVALID',
    '--namespace',
  ),
  badSetting(
    '--namespace of 300 characters',
    ['--registry', 'registry.example', '--namespace', 'n'.repeat(300)],
    {},
    'CONFIG_REGISTRY_INVALID',
    '--namespace',
  ),
  badSetting(
    '--namespace alone, with a character no case fixes',
    ['--namespace', 'Cortex!'],
    {},
    'CONFIG_REGISTRY_INVALID',
    '--namespace',
  ),
  badSetting(
    'NEURONS_NAMESPACE alone, with a space',
    [],
    { NEURONS_NAMESPACE: 'cortex ns' },
    'CONFIG_REGISTRY_INVALID',
    'NEURONS_NAMESPACE',
  ),
  badSetting(
    'NEURONS_REGISTRY that is a flag',
    [],
    { NEURONS_REGISTRY: '--privileged' },
    'CONFIG_REGISTRY_INVALID',
    'NEURONS_REGISTRY',
  ),
  badSetting(
    'NEURONS_REGISTRY with a line break',
    [],
    { NEURONS_REGISTRY: 'registry.example\nEVIL' },
    'CONFIG_REGISTRY_INVALID',
    'NEURONS_REGISTRY',
  ),
  badSetting(
    'NEURONS_NAMESPACE with a tag',
    [],
    { NEURONS_REGISTRY: 'registry.example', NEURONS_NAMESPACE: 'cortex:latest' },
    'CONFIG_REGISTRY_INVALID',
    'NEURONS_NAMESPACE',
  ),

  badConfig(
    'a username without a password (configuration file)',
    { registries: [{ ...registry, username: 'ci' }] },
    'CONFIG_CREDENTIALS_INCOMPLETE',
    '/registries/0/passwordEnv',
  ),
  badConfig(
    'a password without a username (configuration file)',
    { registries: [{ ...registry, passwordEnv: 'PASS' }] },
    'CONFIG_CREDENTIALS_INCOMPLETE',
    '/registries/0/username',
    {},
    { PASS: 'secret' },
  ),
  badSetting(
    'NEURONS_REGISTRY_USERNAME without a password',
    [],
    { NEURONS_REGISTRY: 'registry.example', NEURONS_REGISTRY_USERNAME: 'ci' },
    'CONFIG_CREDENTIALS_INCOMPLETE',
    'NEURONS_REGISTRY_PASSWORD',
  ),
  badSetting(
    'NEURONS_REGISTRY_PASSWORD without a username',
    [],
    { NEURONS_REGISTRY: 'registry.example', NEURONS_REGISTRY_PASSWORD: 'secret' },
    'CONFIG_CREDENTIALS_INCOMPLETE',
    'NEURONS_REGISTRY_USERNAME',
  ),
  badConfig(
    'NEURONS_PIP_INDEX_USERNAME without a password',
    {},
    'CONFIG_CREDENTIALS_INCOMPLETE',
    'NEURONS_PIP_INDEX_PASSWORD',
    {},
    { NEURONS_PIP_INDEX_URL: 'https://pypi.example/simple', NEURONS_PIP_INDEX_USERNAME: 'ci' },
  ),
  badConfig(
    'a package index username without a password',
    { packageIndex: { url: 'https://pypi.example/simple', usernameEnv: 'PIP_USER' } },
    'CONFIG_CREDENTIALS_INCOMPLETE',
    '/packageIndex/passwordEnv',
    {},
    { PIP_USER: 'ci' },
  ),

  badDockerConfig('Docker config.json that is not JSON', '{"auths": {', 'DOCKER_CONFIG_INVALID', 'docker/config.json'),
  badDockerConfig('Docker config.json that is an array', '[]', 'DOCKER_CONFIG_INVALID', 'docker/config.json'),
  badDockerConfig(
    'Docker config.json with a username and no password',
    JSON.stringify({ auths: { 'registry.example': { username: 'ci' } } }),
    'DOCKER_CONFIG_INVALID',
    /config\.json.*\/auths\/registry\.example\/password/,
  ),
  badDockerConfig(
    'Docker config.json with a password and no username',
    JSON.stringify({ auths: { 'registry.example': { password: 'secret' } } }),
    'DOCKER_CONFIG_INVALID',
    /\/auths\/registry\.example\/username/,
  ),
  badDockerConfig(
    'Docker config.json with an auth that has no colon',
    JSON.stringify({ auths: { 'registry.example': { auth: Buffer.from('cionly').toString('base64') } } }),
    'DOCKER_CONFIG_INVALID',
    /\/auths\/registry\.example\/auth/,
  ),
  badDockerConfig(
    'Docker config.json with an auths entry that is a string',
    JSON.stringify({ auths: { 'registry.example': 'ci:secret' } }),
    'DOCKER_CONFIG_INVALID',
    /\/auths\/registry\.example/,
  ),
  badDockerConfig(
    'Docker config.json naming a credsStore that is not installed',
    JSON.stringify({ credsStore: 'neurons-no-such-helper' }),
    'DOCKER_CREDENTIAL_HELPER',
    /config\.json.*\/credsStore/,
    3,
  ),
  badDockerConfig(
    'Docker config.json naming a credHelper that is not installed',
    JSON.stringify({ credHelpers: { 'registry.example': 'neurons-no-such-helper' } }),
    'DOCKER_CREDENTIAL_HELPER',
    /\/credHelpers\/registry\.example/,
    3,
  ),
  badDockerConfig(
    'Docker config.json naming a helper by a path',
    JSON.stringify({ credsStore: 'x/../../../tmp/evil' }),
    'DOCKER_CONFIG_INVALID',
    /config\.json.*\/credsStore/,
  ),
  badDockerConfig(
    'Docker config.json with a helper that is not a string',
    JSON.stringify({ credHelpers: { 'registry.example': ['desktop'] } }),
    'DOCKER_CONFIG_INVALID',
    /\/credHelpers\/registry\.example/,
  ),
  badDockerConfig(
    'Docker config.json of 2 MiB',
    `{"x":"${'a'.repeat(2 * 1024 * 1024)}"}`,
    'DOCKER_CONFIG_INVALID',
    'docker/config.json',
  ),

  badConfig(
    'uses: a folder above the repository',
    { workers: { Hash: { uses: ['../../etc'] } } },
    'CONFIG_USES_OUTSIDE',
    '/workers/Hash/uses/0',
  ),
  badConfig(
    'uses: an absolute path',
    { workers: { Hash: { uses: ['/etc'] } } },
    'CONFIG_USES_OUTSIDE',
    '/workers/Hash/uses/0',
  ),
  badConfig(
    'uses: a path that climbs out after going in',
    { workers: { Hash: { uses: ['shared/../../x'] } } },
    'CONFIG_USES_OUTSIDE',
    '/workers/Hash/uses/0',
  ),
  badConfig(
    'uses: a Windows drive',
    { workers: { Hash: { uses: ['C:\\shared'] } } },
    'CONFIG_USES_OUTSIDE',
    '/workers/Hash/uses/0',
  ),
  badConfig(
    'uses: backslashes climbing out',
    { workers: { Hash: { uses: ['..\\..\\x'] } } },
    'CONFIG_USES_OUTSIDE',
    '/workers/Hash/uses/0',
  ),

  badConfig(
    'a base image that is a flag',
    { baseImages: { python: '--privileged' } },
    'CONFIG_BASE_IMAGE_INVALID',
    '/baseImages/python',
  ),
  badConfig(
    'a base image with a shell command',
    { baseImages: { python: 'python:3.12; rm -rf /' } },
    'CONFIG_BASE_IMAGE_INVALID',
    '/baseImages/python',
  ),
  badConfig(
    'a base image in upper case',
    { baseImages: { go: 'Golang:1.22' } },
    'CONFIG_BASE_IMAGE_INVALID',
    '/baseImages/go',
  ),
  badConfig(
    'a base image with a 200-character tag',
    { baseImages: { node: `node:${'1'.repeat(200)}` } },
    'CONFIG_BASE_IMAGE_INVALID',
    '/baseImages/node',
  ),
  badConfig(
    'a base image with a short digest',
    { baseImages: { python: 'python@sha256:abc' } },
    'CONFIG_BASE_IMAGE_INVALID',
    '/baseImages/python',
  ),
  badConfig(
    'a base image name of 300 characters',
    { baseImages: { python: `registry.example/${'p'.repeat(300)}:3` } },
    'CONFIG_BASE_IMAGE_INVALID',
    '/baseImages/python',
  ),
  badConfig(
    'NEURONS_BASE_PYTHON with a line break',
    {},
    'CONFIG_BASE_IMAGE_INVALID',
    'NEURONS_BASE_PYTHON',
    {},
    { NEURONS_BASE_PYTHON: 'python:3.12\nRUN id' },
  ),
  badConfig('NEURONS_BASE_GO empty', {}, 'CONFIG_BASE_IMAGE_INVALID', 'NEURONS_BASE_GO', {}, { NEURONS_BASE_GO: '' }),

  badConfig('a configuration file of 2 MiB', { output: 'x'.repeat(2 * 1024 * 1024) }, 'CONFIG_INVALID', 'neurons.json'),
  {
    ...badConfig('a configuration file nested 100,000 levels deep', {}, 'CONFIG_INVALID', 'neurons.json'),
    files: { ...validRepo(), 'repo/neurons.json': `{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}` },
  },
  {
    ...badConfig('--config naming a folder', {}, 'CONFIG_INVALID', /repo\b/),
    argv: [...generate, '--config', '{dir}/repo'],
  },
];
