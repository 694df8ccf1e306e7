import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMPORT_CHECK_SCRIPT } from '../../../src/smoke/python-imports.js';
import { PYTHON_BATCH_DRIVER, pythonBatchPlan, type PythonBatchRequest } from '../../../src/smoke/python-batch.js';
import { writeFiles } from '../../helpers/test-images.js';

/** What a script sees of its start: checked equal whether Python runs it alone or the driver forks it. */
const PROBE = String.raw`
import ast, csv, json, os, sys
print(json.dumps({
    "argv": sys.argv,
    "path0": sys.path[0],
    "rest": sys.path[1:],
    "file": __file__,
    "name": __name__,
    "main": sys.modules["__main__"] is sys.modules[__name__],
    "spec": repr(__spec__),
    "loader": type(__loader__).__name__,
    "globals": sorted(globals()),
    "csv": getattr(csv, "MARK", "stdlib"),
    "ast": getattr(ast, "MARK", "stdlib"),
    "cwd": os.getcwd(),
    "stdin": sys.stdin.read(),
}))
`;

let work: string;
let root: string;
/** The Python that runs the tests' own tools: the driver must work with any Python 3. */
const python = 'python3';

/** Runs the driver as a batch container would, from the worker's folder, and reads back each request's log and exit. */
function runDriver(requests: PythonBatchRequest[], env: NodeJS.ProcessEnv = {}) {
  return (async () => {
    const batch = await mkdtemp(path.join(root, 'batch-'));
    await writeFile(path.join(batch, 'plan.json'), JSON.stringify(requests));
    const driver = spawnSync(python, ['-c', PYTHON_BATCH_DRIVER, batch], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    const results = await Promise.all(
      requests.map(async (_, index) => ({
        log: await readFile(path.join(batch, `log-${index}`), 'utf8'),
        exit: Number((await readFile(path.join(batch, `exit-${index}`), 'utf8')).trim()),
      })),
    );
    return { driver, results };
  })();
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'neurons-python-batch-'));
  work = path.join(root, 'worker');
  await writeFiles(work, {
    'Probe/probe.py': PROBE,
    // A worker's own module named as a standard one: a fresh interpreter imports this one.
    'Probe/csv.py': 'MARK = "the worker\'s own"\n',
    // And as one the driver itself imports.
    'Probe/ast.py': 'MARK = "the worker\'s own"\n',
    'Exits/code.py': 'import sys\nsys.exit(3)\n',
    'Exits/crash.py': 'def handler():\n    raise ValueError("no such observable")\n\nhandler()\n',
    'Exits/message.py': 'import sys\nsys.exit("bad input")\n',
    'Exits/killed.py': 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n',
    'Exits/atexit_thread.py': [
      'import atexit, threading, time',
      'atexit.register(lambda: print("atexit ran"))',
      'threading.Thread(target=lambda: (time.sleep(0.2), print("thread finished"))).start()',
      'print("main done")',
      '',
    ].join('\n'),
    // What only the interpreter's end completes: a buffered line without its newline, a file never closed, a
    // finalizer, and an exit by Ctrl-C.
    'Exits/unflushed.py': [
      'import sys',
      'sys.stdout.write("no newline")',
      'kept = open(sys.argv[1], "w")',
      'kept.write("written, never closed")',
      'class Last:',
      '    def __del__(self):',
      '        print("finalized")',
      'last = Last()',
      '',
    ].join('\n'),
    'Exits/interrupted.py': 'raise KeyboardInterrupt\n',
    'Exits/wide.py': 'import sys\nsys.exit(258)\n',
    'Loud/loud_job.py': 'import loud\nprint("job ran")\n',
    // json is the driver's own import; json.tool is not: preloaded, it stays reachable from a json imported afresh.
    'Tool/tool_job.py': 'import json.tool\nprint(json.tool.__name__)\n',
    'site/loud.py': 'print("loud imported")\n',
    // A package that starts a thread when imported: forking after it is not safe.
    'site/spinner.py':
      'import threading, time\nthreading.Thread(target=time.sleep, args=(30,), daemon=True).start()\nprint("spinner imported")\n',
    'Spin/spin_job.py': 'import sys, spinner\nprint("job ran")\nsys.exit(4)\n',
    'Noisy/noisy_job.py': 'import noisy\nprint("job ran")\n',
    'site/noisy.py': 'import loud\nprint("noisy imported")\n',
  });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the Python batch driver', () => {
  it('gives each forked script what Python gives it run alone: argv, path, __main__, its own modules first', async () => {
    const alone = execFileSync(python, ['Probe/probe.py', '/job-0'], { cwd: work, encoding: 'utf8', input: '' });
    const { results } = await runDriver([{ script: 'Probe/probe.py', args: ['/job-0'] }]);
    const seen = JSON.parse(results[0]?.log ?? '{}') as Record<string, unknown>;
    expect(seen).toEqual(JSON.parse(alone));
    expect(seen['csv']).toBe("the worker's own");
    expect(seen['ast']).toBe("the worker's own");
    expect(seen['path0']).toBe(path.join(work, 'Probe'));
    expect(results[0]?.exit).toBe(0);
  });

  it("ends each process as Python would: its exit code, an exception's traceback, a signal, atexit and threads", async () => {
    const scripts = ['code', 'crash', 'message', 'killed', 'atexit_thread'];
    const { results } = await runDriver(scripts.map((name) => ({ script: `Exits/${name}.py`, args: [] })));
    const [code, crash, message, killed, atexitThread] = results;
    expect(code).toEqual({ log: '', exit: 3 });
    expect(crash?.exit).toBe(1);
    expect(crash?.log).toMatch(
      /Traceback[\s\S]*Exits\/crash\.py", line 2, in handler\n[\s\S]*ValueError: no such observable/,
    );
    expect(message).toEqual({ log: 'bad input\n', exit: 1 });
    expect(killed).toEqual({ log: '', exit: 137 });
    expect(atexitThread?.log.split('\n')).toEqual(['main done', 'thread finished', 'atexit ran', '']);
    expect(atexitThread?.exit).toBe(0);
  });

  it('ends each one exactly as the same script run alone: output, traceback, files flushed, finalizers, status', async () => {
    const scripts = ['code', 'crash', 'message', 'atexit_thread', 'unflushed', 'interrupted', 'wide'];
    const fileOf = (run: string): string => path.join(root, `unflushed-${run}.txt`);
    const argsOf = (name: string, run: string): string[] => (name === 'unflushed' ? [fileOf(run)] : []);
    const alone = await Promise.all(
      scripts.map(async (name) => {
        const ran = spawnSync(python, [`Exits/${name}.py`, ...argsOf(name, 'alone')], { cwd: work, encoding: 'utf8' });
        return { log: `${ran.stdout}${ran.stderr}`, exit: ran.status ?? 128 + 2 };
      }),
    );
    const { results } = await runDriver(
      scripts.map((name) => ({ script: `Exits/${name}.py`, args: argsOf(name, 'batch') })),
    );
    expect(results).toEqual(alone);
    expect(results[scripts.indexOf('unflushed')]?.log).toBe('no newlinefinalized\n');
    expect(results[scripts.indexOf('interrupted')]?.exit).toBe(130);
    expect(results[scripts.indexOf('wide')]?.exit).toBe(2);
    expect(await readFile(fileOf('batch'), 'utf8')).toBe('written, never closed');
    expect(await readFile(fileOf('alone'), 'utf8')).toBe('written, never closed');
  });

  it('imports what the scripts import once, before the jobs, and runs `-c` code as `python -c` would', async () => {
    const { driver, results } = await runDriver(
      [
        { script: 'Loud/loud_job.py', args: [] },
        { script: 'Loud/loud_job.py', args: [] },
        { code: 'import sys; print(sys.argv, repr(sys.path[0]))', args: ['one', 'two'] },
      ],
      { PYTHONPATH: path.join(work, 'site') },
    );
    expect(driver.stdout).toBe('loud imported\n');
    expect(results.map((result) => result.log)).toEqual(['job ran\n', 'job ran\n', "['-c', 'one', 'two'] ''\n"]);
    expect(driver.status).toBe(0);
  });

  it('keeps a preloaded submodule reachable from its package, and runs the import check of the smoke test', async () => {
    const { results } = await runDriver([
      { script: 'Tool/tool_job.py', args: [] },
      { code: IMPORT_CHECK_SCRIPT, args: ['Tool/tool_job.py'] },
    ]);
    expect(results[0]).toEqual({ log: 'json.tool\n', exit: 0 });
    expect(results[1]?.exit).toBe(0);
    expect(JSON.parse(results[1]?.log ?? '')).toEqual({ checked: ['json.tool'], missing: [] });
  });

  it("preloads nothing that a worker's own module would shadow, even imported in turn", async () => {
    const site = { PYTHONPATH: path.join(work, 'site') };
    // The job imports noisy, which imports loud: with a loud.py of the worker's own beside the job, a fresh run
    // imports that one, through noisy; so must the batch.
    await writeFiles(work, { 'Noisy/loud.py': 'print("the worker\'s loud")\n' });
    try {
      const { driver, results } = await runDriver([{ script: 'Noisy/noisy_job.py', args: [] }], site);
      expect(driver.stdout).toBe('');
      expect(results[0]?.log).toBe("the worker's loud\nnoisy imported\njob ran\n");
    } finally {
      await rm(path.join(work, 'Noisy/loud.py'));
    }
    const { driver } = await runDriver([{ script: 'Noisy/noisy_job.py', args: [] }], site);
    expect(driver.stdout).toBe('loud imported\nnoisy imported\n');
  });
});

describe('the Python batch driver, when a preloaded module started a thread', () => {
  it('runs each request in an interpreter started afresh, as it would run alone', async () => {
    const { driver, results } = await runDriver(
      [
        { script: 'Spin/spin_job.py', args: [] },
        { code: 'import sys; print(sys.argv)', args: ['x'] },
      ],
      { PYTHONPATH: path.join(work, 'site') },
    );
    expect(driver.stdout).toBe('spinner imported\n');
    // The job imported the module again, in its own interpreter.
    expect(results).toEqual([
      { log: 'spinner imported\njob ran\n', exit: 4 },
      { log: "['-c', 'x']\n", exit: 0 },
    ]);
  });
});

describe('pythonBatchPlan', () => {
  it('takes scripts and -c code run by one and the same Python, and nothing else', () => {
    expect(
      pythonBatchPlan([
        ['python3', 'A/a.py', '/job'],
        ['python3', '-c', 'print(1)', 'x'],
      ]),
    ).toEqual({
      interpreter: 'python3',
      plan: [
        { script: 'A/a.py', args: ['/job'] },
        { code: 'print(1)', args: ['x'] },
      ],
    });
    expect(pythonBatchPlan([['/usr/bin/python3.11', 'a.py']])?.interpreter).toBe('/usr/bin/python3.11');
    expect(pythonBatchPlan([['python3', '-u', 'a.py']])).toBeUndefined();
    expect(
      pythonBatchPlan([
        ['python3', 'a.py'],
        ['python', 'b.py'],
      ]),
    ).toBeUndefined();
    expect(pythonBatchPlan([['node', 'a.js']])).toBeUndefined();
    expect(pythonBatchPlan([['python3']])).toBeUndefined();
    expect(pythonBatchPlan([])).toBeUndefined();
  });
});
