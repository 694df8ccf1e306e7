import { validRepo, type FixtureFile, type HostileCase } from './case.js';

const update = ['update', '--state', '{dir}/state', '--install', '{dir}/cortex'];
/** Folders an update refused must leave exactly as they were (absent). */
const untouched = ['state', 'cortex'];

/** A catalog entry as the engine reads it, with `overrides`. */
function entry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Hash',
    version: '1.0',
    author: 'neurons',
    url: 'https://example.org',
    license: 'AGPL-V3',
    description: 'hashes',
    dataTypeList: ['hash'],
    baseConfig: 'Hash',
    dockerImage: 'registry.example/cortex/hash:1',
    ...overrides,
  };
}

function badCatalog(
  name: string,
  content: string,
  code: string,
  names: string | RegExp,
  files: Record<string, FixtureFile> = {},
): HostileCase {
  return {
    name,
    files: { 'pub/analyzers.json': content, ...files },
    argv: [...update, '--catalog', '{dir}/pub/analyzers.json'],
    exit: 1,
    code,
    names,
    untouched,
  };
}

const hostileImages: Array<[string, string]> = [
  ['a flag', '--privileged'],
  ['a volume flag', '-v /:/host'],
  ['a shell command', 'x; rm -rf /'],
  ['a command substitution', '$(id)'],
  ['backquotes', '`id`'],
  ['a line break', 'registry.example/cortex/hash:1\n--privileged'],
  ['a leading space', ' registry.example/cortex/hash:1'],
  ['a URL', 'https://registry.example/cortex/hash:1'],
  ['an absolute path', '/var/run/docker.sock'],
  ['a path climbing up', 'registry.example/../etc/passwd'],
  ['upper case in the path', 'registry.example/Cortex/Hash:1'],
  ['two tags', 'registry.example/cortex/hash:1:2'],
  ['an empty tag', 'registry.example/cortex/hash:'],
  ['a tag of 129 characters', `registry.example/cortex/hash:${'t'.repeat(129)}`],
  ['a name of 256 characters', `registry.example/${'n'.repeat(239)}`],
  ['a 10,000-character value', 'a'.repeat(10_000)],
  ['a digest that is not hex', 'registry.example/cortex/hash@sha256:zzzz'],
  ['a truncated digest', 'registry.example/cortex/hash@sha256:abcd'],
  ['a trailing slash', 'registry.example/cortex/'],
  ['non-ASCII letters', 'registry.example/cortex/häsh:1'],
  ['a NUL character', 'registry.example/cortex/hash\u0000:1'],
  ['a host with a leading dash', '-registry.example/cortex/hash:1'],
];

export const updateCases: HostileCase[] = [
  ...hostileImages.map(([what, image]) =>
    badCatalog(
      `update: dockerImage with ${what}`,
      JSON.stringify([entry({ dockerImage: image })]),
      'UPDATE_ENTRY_IMAGE_INVALID',
      '(/0/dockerImage)',
    ),
  ),
  badCatalog(
    'update: a hostile dockerImage after a good entry',
    JSON.stringify([entry(), entry({ name: 'Other', dockerImage: '--privileged' })]),
    'UPDATE_ENTRY_IMAGE_INVALID',
    '(/1/dockerImage)',
  ),
  badCatalog(
    'update: a catalog of 33 MiB',
    JSON.stringify([entry({ description: 'x'.repeat(33 * 1024 * 1024) })]),
    'UPDATE_TOO_LARGE',
    'analyzers.json',
  ),
  {
    name: 'update: an index of 2 MiB',
    files: { 'pub/index.json': JSON.stringify({ format: 2, padding: 'x'.repeat(2 * 1024 * 1024) }) },
    argv: [...update, '--catalog', '{dir}/pub'],
    exit: 1,
    code: 'UPDATE_TOO_LARGE',
    names: 'index.json',
    untouched,
  },
  badCatalog(
    'update: an entry with a field 100,000 levels deep',
    `[${JSON.stringify(entry()).slice(0, -1)},"extra":${'['.repeat(100_000)}${']'.repeat(100_000)}}]`,
    'UPDATE_CATALOG_INVALID',
    'analyzers.json',
  ),
  badCatalog(
    'update: a catalog nested 20,000 levels deep in objects',
    `[${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}]`,
    'UPDATE_CATALOG_INVALID',
    'analyzers.json',
  ),
  badCatalog('update: a catalog that is not JSON', '[{"name":', 'UPDATE_CATALOG_INVALID', 'analyzers.json'),
  badCatalog('update: a catalog that is an object', '{"name":"Hash"}', 'UPDATE_CATALOG_INVALID', 'analyzers.json'),
  badCatalog('update: a catalog that is invalid UTF-8', '\u0000', 'UPDATE_CATALOG_INVALID', 'analyzers.json', {
    'pub/analyzers.json': Buffer.from([0x5b, 0xff, 0x5d]),
  }),
  {
    ...badCatalog(
      'update: --registry-prefix that is a flag',
      JSON.stringify([entry()]),
      'UPDATE_PREFIX_INVALID',
      '--registry-prefix',
    ),
    exit: 2,
    argv: [...update, '--catalog', '{dir}/pub/analyzers.json', '--registry-prefix=--privileged'],
  },
  {
    ...badCatalog(
      'update: --registry-prefix with an upper-case path',
      JSON.stringify([entry()]),
      'UPDATE_PREFIX_INVALID',
      '--registry-prefix',
    ),
    exit: 2,
    argv: [...update, '--catalog', '{dir}/pub/analyzers.json', '--registry-prefix', 'mirror.example/Cortex'],
  },
];

/** `neurons run` reads a catalog too: its dockerImage goes to the engine, so it is checked the same way. */
function badRunCatalog(name: string, content: string, code: string, names: string | RegExp): HostileCase {
  return {
    name,
    files: { 'cat/analyzers.json': content },
    argv: ['run', 'Hash_1_0', '--catalog', '{dir}/cat/analyzers.json', '--data', 'x', '--data-type', 'hash'],
    exit: 2,
    code,
    names,
  };
}

export const runCases: HostileCase[] = [
  badRunCatalog(
    'run: a catalog entry whose dockerImage is a flag',
    JSON.stringify([entry({ dockerImage: '--privileged' })]),
    'RUN_CATALOG_INVALID',
    '(/0/dockerImage)',
  ),
  badRunCatalog(
    'run: a catalog entry whose dockerImage holds a line break',
    JSON.stringify([entry({ name: 'Other' }), entry({ dockerImage: 'a\nb' })]),
    'RUN_CATALOG_INVALID',
    '(/1/dockerImage)',
  ),
  badRunCatalog(
    'run: a catalog of 33 MiB',
    JSON.stringify([entry({ description: 'x'.repeat(33 * 1024 * 1024) })]),
    'RUN_CATALOG_INVALID',
    'analyzers.json',
  ),
  {
    name: 'run: an image reference with a shell command',
    argv: ['run', 'registry.example/x:1;id', '--data', 'x', '--data-type', 'hash'],
    exit: 2,
    code: 'USAGE',
    names: 'image to run',
  },
];

const catalog = [
  'catalog',
  '--no-verify',
  '--definitions-only',
  '--repo',
  '{dir}/repo',
  '--registry',
  'registry.example/cortex',
];

export const outputCases: HostileCase[] = [
  {
    name: 'catalog --out naming an existing file',
    files: { ...validRepo(), 'out.txt': 'keep me' },
    argv: [...catalog, '--out', '{dir}/out.txt'],
    exit: 2,
    code: 'CATALOG_OUTPUT_NOT_FOLDER',
    names: 'out.txt',
    untouched: ['out.txt', 'repo'],
  },
  {
    name: 'catalog --out under an existing file',
    files: { ...validRepo(), 'out.txt': 'keep me' },
    argv: [...catalog, '--out', '{dir}/out.txt/catalogs'],
    exit: 2,
    code: 'CATALOG_OUTPUT_NOT_FOLDER',
    names: 'out.txt',
    untouched: ['out.txt', 'repo'],
  },
  {
    name: 'catalog --publish naming an existing file',
    files: { ...validRepo(), 'pub.txt': 'keep me' },
    argv: [...catalog, '--out', '{dir}/catalogs', '--publish', '{dir}/pub.txt'],
    exit: 2,
    code: 'CATALOG_OUTPUT_NOT_FOLDER',
    names: 'pub.txt',
    untouched: ['pub.txt', 'catalogs'],
  },
  {
    name: 'pipeline --output naming an existing file',
    files: { ...validRepo(), 'out.txt': 'keep me' },
    argv: [
      'pipeline',
      '--dry-run',
      '--offline',
      '--repo',
      '{dir}/repo',
      '--registry',
      'registry.example',
      '--output',
      '{dir}/out.txt',
    ],
    exit: 2,
    code: 'CATALOG_OUTPUT_NOT_FOLDER',
    names: 'out.txt',
    untouched: ['out.txt', 'repo'],
  },
];

/** Command lines that parseArgs refuses: coded USAGE, naming the flag. */
export const flagCases: HostileCase[] = [
  { name: 'an unknown flag', argv: ['validate', '--frobnicate'], exit: 2, code: 'USAGE', names: '--frobnicate' },
  { name: 'a string flag without its value', argv: ['validate', '--repo'], exit: 2, code: 'USAGE', names: '--repo' },
  { name: 'a boolean flag given a value', argv: ['validate', '--json=yes'], exit: 2, code: 'USAGE', names: '--json' },
  {
    name: 'a positional argument to a command that takes none',
    argv: ['validate', 'extra'],
    exit: 2,
    code: 'USAGE',
    names: 'extra',
  },
  { name: 'an unknown command', argv: ['frobnicate'], exit: 2, code: 'USAGE', names: 'frobnicate' },
  {
    name: 'a flag of 10,000 characters',
    argv: ['validate', `--${'x'.repeat(10_000)}`],
    exit: 2,
    code: 'USAGE',
    names: 'xxxx',
  },
  {
    name: '--concurrency 0',
    files: validRepo(),
    argv: ['build', '--dry-run', '--repo', '{dir}/repo', '--concurrency', '0'],
    exit: 2,
    code: 'USAGE',
    names: '--concurrency',
  },
  {
    name: '--channel that is not a channel',
    files: validRepo(),
    argv: ['generate', '--offline', '--repo', '{dir}/repo'],
    env: { NEURONS_REGISTRY: 'registry.example', NEURONS_CHANNEL: 'nightly' },
    exit: 2,
    code: 'CONFIG_CHANNEL',
    names: 'nightly',
    untouched: ['repo'],
  },
  {
    name: 'a --repo that does not exist',
    argv: ['validate', '--repo', '{dir}/nothing'],
    exit: 2,
    code: 'REPO_NOT_FOUND',
    names: 'nothing',
  },
  {
    name: 'a --config that does not exist',
    files: validRepo(),
    argv: ['generate', '--repo', '{dir}/repo', '--config', '{dir}/none.json'],
    exit: 2,
    code: 'CONFIG_NOT_FOUND',
    names: 'none.json',
    untouched: ['repo'],
  },
];
