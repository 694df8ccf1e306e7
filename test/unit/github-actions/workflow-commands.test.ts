import { describe, expect, it } from 'vitest';
import {
  escapeData,
  escapeProperty,
  groupedLines,
  problemCommand,
} from '../../../src/github-actions/workflow-commands.js';

describe('workflow commands', () => {
  it('escapes data: %, carriage return and line feed, % first', () => {
    expect(escapeData('100% done\r\nnext: a, b')).toBe('100%25 done%0D%0Anext: a, b');
    // An escape already in the text is kept as text, not read back as a character.
    expect(escapeData('%0A')).toBe('%250A');
  });

  it('escapes properties: also : and , which would end the value', () => {
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
  });

  it('annotates a problem with its file, line, column and code', () => {
    const line = problemCommand(
      {
        code: 'DEF_NAME_INVALID',
        file: 'analyzers/Echo, v2/Echo.json',
        line: 2,
        column: 11,
        pointer: '/name',
        message: 'name "a:b" is\ninvalid',
        hint: 'use 100% letters',
      },
      'error',
    );
    expect(line).toBe(
      '::error file=analyzers/Echo%2C v2/Echo.json,line=2,col=11,title=DEF_NAME_INVALID::name "a:b" is%0Ainvalid (/name)%0Ahint: use 100%25 letters',
    );
    expect(line.split('\n')).toHaveLength(1);
  });

  it('leaves out the properties a problem has not', () => {
    expect(problemCommand({ code: 'REPO_EMPTY', message: 'no workers' }, 'warning')).toBe(
      '::warning title=REPO_EMPTY::no workers',
    );
    expect(problemCommand({ code: 'DEF_JSON', file: 'a.json', message: 'bad' }, 'error')).toBe(
      '::error file=a.json,title=DEF_JSON::bad',
    );
  });

  it('folds lines under one group', () => {
    expect(groupedLines('analyzers/Echo', ['one', 'two'])).toBe('::group::analyzers/Echo\none\ntwo\n::endgroup::');
  });
});
