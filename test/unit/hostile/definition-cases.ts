import { definition, validRepo, type HostileCase } from './case.js';

const file = 'analyzers/Hash/Hash.json';
const repoFile = `repo/${file}`;
const validate = ['validate', '--repo', '{dir}/repo'];

/** Definitions `neurons validate` must refuse, each naming its file (and field where there is one). */
function badDefinition(
  name: string,
  content: string | Buffer,
  code: string,
  names: string | RegExp = file,
): HostileCase {
  return { name, files: { ...validRepo(), [repoFile]: content }, argv: validate, exit: 1, code, names };
}

/** The file, then the field (validate groups problems under their file). */
const field = (pointer: string): RegExp => new RegExp(`Hash\\.json[\\s\\S]*\\(${pointer}\\)`);
const deep = (depth: number, open: string, close: string): string =>
  `{"name":"Hash","x":${open.repeat(depth)}${close.repeat(depth)}}`;
const longName = (length: number): string => definition({ name: 'a'.repeat(length) });

export const definitionCases: HostileCase[] = [
  badDefinition(
    'a definition nested 5,000 levels deep in objects',
    `${deep(5000, '{"a":', '}').slice(0, -1)}`,
    'DEF_JSON_SYNTAX',
  ),
  badDefinition('a definition nested 5,000 levels deep in arrays, valid JSON', deep(5000, '[', ']'), 'DEF_TOO_DEEP'),
  badDefinition('a definition nested 100,000 levels deep, valid JSON', deep(100_000, '[', ']'), 'DEF_TOO_DEEP'),
  badDefinition(
    'a valid definition nested 20,000 levels deep in objects',
    `{"x":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`,
    'DEF_TOO_DEEP',
  ),
  badDefinition(
    'an otherwise valid definition with a field 65 levels deep',
    definition({ extra: JSON.parse(`${'['.repeat(64)}${']'.repeat(64)}`) as unknown }),
    'DEF_TOO_DEEP',
  ),
  badDefinition(
    'an otherwise valid definition with a field 100,000 levels deep',
    `${definition().slice(0, -1)},"extra":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
    'DEF_TOO_DEEP',
  ),
  badDefinition(
    'a definition nested 50,000 levels deep, cut short',
    deep(50_000, '[', ']').slice(0, -3),
    'DEF_JSON_SYNTAX',
  ),
  badDefinition('a 10,000-character worker name', longName(10_000), 'DEF_NAME_INVALID', field('/name')),
  badDefinition('a 256-character worker name', longName(256), 'DEF_NAME_INVALID', field('/name')),
  badDefinition('a worker name with a newline', definition({ name: 'a\nb' }), 'DEF_NAME_INVALID', field('/name')),
  badDefinition(
    'a worker name with a shell command',
    definition({ name: 'x;rm -rf /' }),
    'DEF_NAME_INVALID',
    field('/name'),
  ),
  badDefinition(
    'a worker name with a colon (a tag)',
    definition({ name: 'hash:latest' }),
    'DEF_NAME_INVALID',
    field('/name'),
  ),
  badDefinition(
    'a worker name with an at sign (a digest)',
    definition({ name: 'hash@sha256' }),
    'DEF_NAME_INVALID',
    field('/name'),
  ),
  badDefinition(
    'a worker name with upper-case unicode',
    definition({ name: 'HÄSH' }),
    'DEF_NAME_INVALID',
    field('/name'),
  ),
  badDefinition(
    'a worker name starting with a separator',
    definition({ name: '-hash' }),
    'DEF_NAME_INVALID',
    field('/name'),
  ),
  badDefinition('a worker name of ..', definition({ name: '..' }), 'DEF_NAME_INVALID', field('/name')),
  badDefinition('a 2 MiB definition', definition({ description: 'x'.repeat(2 * 1024 * 1024) }), 'DEF_TOO_LARGE'),
  badDefinition(
    'invalid UTF-8 in a definition',
    Buffer.concat([Buffer.from('{"name":"Ha'), Buffer.from([0xff, 0xfe]), Buffer.from('sh"}')]),
    'DEF_ENCODING',
  ),
  badDefinition('a UTF-16 definition', Buffer.from(`\ufeff${definition()}`, 'utf16le'), 'DEF_ENCODING'),
  badDefinition(
    'an overlong UTF-8 encoding of /',
    Buffer.concat([
      Buffer.from(definition({ command: 'Hash' }).slice(0, -1)),
      Buffer.from(',"x":"'),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from('"}'),
    ]),
    'DEF_ENCODING',
  ),
  badDefinition(
    'a lone surrogate encoded in UTF-8',
    Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
    'DEF_ENCODING',
  ),
  badDefinition('a NUL byte outside strings', `${definition()}\0`, 'DEF_JSON_SYNTAX'),
  badDefinition('an empty definition', '', 'DEF_JSON_SYNTAX'),
  badDefinition('a definition that is an array', '[]', 'DEF_TYPE'),
  badDefinition('a definition that is a string', '"Hash"', 'DEF_TYPE'),
  badDefinition(
    'a version with a shell command',
    definition({ version: '1.0;id' }),
    'DEF_VERSION_INVALID',
    field('/version'),
  ),
  badDefinition(
    'a command leaving the folder',
    definition({ command: 'Hash/../../../etc/passwd' }),
    'DEF_COMMAND_ESCAPE',
    field('/command'),
  ),
  badDefinition('an absolute command', definition({ command: '/bin/sh' }), 'DEF_COMMAND_ESCAPE', field('/command')),
  badDefinition(
    'requirements leaving the folder',
    definition({ requirements: '../../../etc/passwd' }),
    'DEF_REQUIREMENTS_ESCAPE',
    field('/requirements'),
  ),
  {
    name: 'a definition symlinked out of the repository',
    files: { ...validRepo(), 'outside/Hash.json': definition(), [repoFile]: { symlink: '{dir}/outside/Hash.json' } },
    argv: validate,
    exit: 1,
    code: 'DEF_SYMLINK_ESCAPE',
    names: file,
  },
  {
    name: 'a definition symlinked to /dev/zero',
    files: { ...validRepo(), [repoFile]: { symlink: '/dev/zero' } },
    argv: validate,
    exit: 1,
    code: 'DEF_SYMLINK_ESCAPE',
    names: file,
  },
  {
    name: 'a definition symlinked to a file in another folder of the repository that does not exist',
    files: { ...validRepo(), [repoFile]: { symlink: '../Nothing/Hash.json' } },
    argv: validate,
    exit: 1,
    code: 'DEF_READ_FAILED',
    names: file,
  },
  {
    name: 'a worker folder symlinked out of the repository',
    files: {
      'outside/Hash/Hash.json': definition(),
      'outside/Hash/hash.py': '',
      'repo/analyzers/Hash': { symlink: '{dir}/outside/Hash' },
    },
    argv: validate,
    exit: 1,
    code: 'DEF_SYMLINK_ESCAPE',
    names: file,
  },
  {
    name: 'a worker name that does not fit 255 characters with the registry and namespace',
    files: { ...validRepo(), [repoFile]: definition({ name: 'h'.repeat(100) }) },
    argv: [
      'build',
      '--dry-run',
      '--offline',
      '--repo',
      '{dir}/repo',
      '--registry',
      'registry.example',
      '--namespace',
      'n'.repeat(150),
    ],
    exit: 1,
    code: 'DEF_NAME_INVALID',
    names: `${file} (/name)`,
    untouched: ['repo'],
  },
];
