import { describe, expect, it } from 'vitest';
import { lastLines, logTail } from '../../../src/runner/run-container.js';

const nodeCrash = `/worker/NodeThrows/index.js:1
throw new Error('NodeThrows cannot start');
^

Error: NodeThrows cannot start
    at Object.<anonymous> (/worker/NodeThrows/index.js:1:7)
    at Module._compile (node:internal/modules/cjs/loader:1364:14)
    at Module._extensions..js (node:internal/modules/cjs/loader:1422:10)
    at Module.load (node:internal/modules/cjs/loader:1203:32)
    at Module._load (node:internal/modules/cjs/loader:1019:12)
    at Function.executeUserEntryPoint [as runMain] (node:internal/modules/run_main:128:12)
    at node:internal/main/run_main_module:28:49

Node.js v18.20.4
`;

describe('the last lines of a container log', () => {
  it('keeps the error of a stack trace in sight: frames fold to the first one', () => {
    expect(lastLines(nodeCrash)).toBe(
      [
        '/worker/NodeThrows/index.js:1',
        "throw new Error('NodeThrows cannot start');",
        '^',
        'Error: NodeThrows cannot start',
        '    at Object.<anonymous> (/worker/NodeThrows/index.js:1:7)',
        '    ... 6 more frame(s)',
        'Node.js v18.20.4',
      ].join('\n'),
    );
  });

  it('keeps the last lines of anything else, blank lines dropped, and says nothing of an empty log', () => {
    const log = Array.from({ length: 12 }, (_, index) => `line ${index + 1}`).join('\n\n');
    expect(lastLines(log).split('\n')).toEqual([
      'line 5',
      'line 6',
      'line 7',
      'line 8',
      'line 9',
      'line 10',
      'line 11',
      'line 12',
    ]);
    expect(
      lastLines('Traceback (most recent call last):\n  File "w.py", line 1, in <module>\nRuntimeError: boom\n', 2),
    ).toBe('  File "w.py", line 1, in <module>\nRuntimeError: boom');
    expect(logTail('\n \n')).toBe('');
    expect(logTail('one\n')).toBe('; last log lines:\none');
  });
});
