import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkerSettings } from '../config/schema.js';
import { scanGoSource, usesMember, type GoSource } from './go-source.js';

/** `job`: the worker reads `/job/input/input.json` and writes `/job/output/output.json` itself. `stdio`: job on stdin, report on stdout. */
export type GoProtocol = 'job' | 'stdio';

export interface GoProtocolDecision {
  protocol: GoProtocol;
  /** The evidence, in words, each naming the file it was found in. */
  reasons: string[];
}

/**
 * Go libraries for writing Cortex workers, keyed by import path, with the calls that show the protocol they speak.
 * Adding one is one line.
 */
export const goWorkerLibraries: Record<string, { protocol: GoProtocol; calls: string[] }> = {
  // Its NewInput decodes the job from stdin; SayReport and SayError print the report on stdout.
  'github.com/ilyaglow/go-cortex': { protocol: 'stdio', calls: ['NewInput', 'SayReport', 'SayError'] },
  'gopkg.in/ilyaglow/go-cortex.v1': { protocol: 'stdio', calls: ['NewInput', 'SayReport', 'SayError'] },
};

/** A string literal naming the job folder or a path in it. */
const jobFolderLiteral = /^\/job(\/|$)/;
/** A string literal naming the job's input file: `input.json`, `input/input.json`, `/job/input/input.json`. */
const inputFileLiteral = /(^|\/)input\.json$/;

interface Signs {
  stdin: string[];
  job: string[];
  other: string[];
}

function judgeFile(source: GoSource, signs: Signs): void {
  const where = `(${source.file})`;
  for (const [library, { protocol, calls }] of Object.entries(goWorkerLibraries)) {
    const called = calls.filter((call) => usesMember(source, library, call));
    if (called.length === 0) continue;
    const sign = `calls ${called.join(', ')} of ${library}, which ${protocol === 'stdio' ? 'reads the job on stdin and prints the report on stdout' : 'reads the job folder'} ${where}`;
    (protocol === 'stdio' ? signs.stdin : signs.job).push(sign);
  }
  if (usesMember(source, 'os', 'Stdin')) signs.stdin.push(`reads os.Stdin ${where}`);
  const inputFile = source.strings.find((value) => inputFileLiteral.test(value));
  if (inputFile !== undefined) signs.job.push(`opens ${JSON.stringify(inputFile)} ${where}`);
  const jobFolder = source.strings.find((value) => jobFolderLiteral.test(value));
  if (jobFolder !== undefined && jobFolder !== inputFile)
    signs.job.push(`names the job folder ${JSON.stringify(jobFolder)} ${where}`);
  if (usesMember(source, 'os', 'Args', '\\s*\\[\\s*1\\s*\\]'))
    signs.other.push(`takes the job folder from its first argument (os.Args[1]) ${where}`);
  if (
    usesMember(source, 'os', 'Stdout') ||
    ['Print', 'Println', 'Printf'].some((call) => usesMember(source, 'fmt', call))
  )
    signs.other.push(`prints to stdout ${where}`);
}

/**
 * Decides the protocol from the program's own code: the non-test files of the folder's `main` package, and the
 * packages of the same module it imports. Vendored code and tests are not the program, and comments and string
 * contents are never read as code: only imports, calls and the paths the program opens count.
 */
export function judgeGoProtocol(sources: GoSource[]): GoProtocolDecision {
  const signs: Signs = { stdin: [], job: [], other: [] };
  for (const source of sources) judgeFile(source, signs);
  const reasons = [...signs.stdin, ...signs.job, ...signs.other];
  if (signs.job.length > 0 && signs.stdin.length === 0) return { protocol: 'job', reasons };
  if (signs.stdin.length > 0 && signs.job.length === 0) return { protocol: 'stdio', reasons };
  // The adapter serves both: it feeds stdin, passes the job folder as argument and keeps a report the worker wrote.
  const why =
    signs.stdin.length > 0
      ? 'reads stdin and the job folder both: run through the job adapter, which serves both'
      : 'no sign of either protocol in the main package: run through the job adapter, which serves both';
  return { protocol: 'stdio', reasons: [...reasons, why] };
}

async function goFiles(folder: string, relative: string): Promise<string[]> {
  const directory = path.join(folder, relative);
  if (!existsSync(directory)) return [];
  const entries = await readdir(directory, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.go') && !entry.name.endsWith('_test.go'))
    .map((entry) => path.posix.join(relative, entry.name))
    .sort();
}

/** The main package of the folder, and the packages of its own module it imports (never `vendor/`). */
export async function readProgramSources(folder: string, modulePath: string): Promise<GoSource[]> {
  const read = async (relative: string): Promise<GoSource[]> =>
    Promise.all(
      (await goFiles(folder, relative)).map(async (file) =>
        scanGoSource(file, await readFile(path.join(folder, file), 'utf8')),
      ),
    );
  const program = (await read('')).filter((source) => source.packageName === 'main');
  const seen = new Set<string>(['']);
  const queue = [...program];
  while (modulePath && queue.length > 0) {
    const source = queue.shift() as GoSource;
    for (const { path: imported } of source.imports) {
      if (!imported.startsWith(`${modulePath}/`)) continue;
      const relative = path.posix.normalize(imported.slice(modulePath.length + 1));
      if (seen.has(relative) || relative.startsWith('..') || relative === 'vendor' || relative.startsWith('vendor/'))
        continue;
      seen.add(relative);
      const sources = await read(relative);
      program.push(...sources);
      queue.push(...sources);
    }
  }
  return program;
}

/** The protocol of a Go worker: `workers.<Dir>.protocol` when set, else judged from its code. */
export async function decideGoProtocol(
  folder: string,
  modulePath: string,
  settings: WorkerSettings,
): Promise<GoProtocolDecision> {
  if (settings.protocol) return { protocol: settings.protocol, reasons: ['set in neurons.json'] };
  return judgeGoProtocol(await readProgramSources(folder, modulePath));
}
