import { UsageError } from '../errors/neurons-error.js';
import type { Problem } from '../errors/problem.js';

/**
 * The problems a repository already had when it adopted neurons: `validate --baseline FILE` and
 * `pipeline --baseline FILE` accept them and fail on new ones only. A problem is known by its code, file and JSON
 * pointer: no line, column or message, so that an edit elsewhere in the file (or a reworded message) keeps it known.
 *
 * ```json
 * {"version": 1, "problems": [{"code": "DEF_COMMAND_MISSING", "file": "analyzers/A/A.json", "pointer": "/command"}]}
 * ```
 */
export interface BaselineEntry {
  code: string;
  file: string;
  /** Null for a problem about the file or folder as a whole. */
  pointer: string | null;
}

export interface Baseline {
  /** Where it was read from, for messages. */
  file: string;
  entries: BaselineEntry[];
}

const formatVersion = 1;

export function baselineKey(entry: {
  code: string;
  file?: string | null | undefined;
  pointer?: string | null | undefined;
}): string {
  return JSON.stringify([entry.code, entry.file ?? '', entry.pointer ?? null]);
}

function entryOf(problem: Problem): BaselineEntry {
  return { code: problem.code, file: problem.file ?? '', pointer: problem.pointer ?? null };
}

/** The file's text for these problems (errors only: warnings never fail a run): sorted and without duplicates, so it diffs well. */
export function formatBaseline(problems: Problem[]): string {
  const unique = new Map(problems.map((problem) => [baselineKey(problem), entryOf(problem)]));
  // By code point, not locale: the same problems give the same bytes on every machine.
  const order = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const entries = [...unique.values()].sort(
    (a, b) => order(a.file, b.file) || order(a.code, b.code) || order(a.pointer ?? '', b.pointer ?? ''),
  );
  const lines = entries.map((entry) => `    ${JSON.stringify(entry)}`);
  return `{\n  "version": ${formatVersion},\n  "problems": [\n${lines.join(',\n')}${lines.length ? '\n' : ''}  ]\n}\n`;
}

function invalid(file: string, message: string, pointer?: string): UsageError {
  return new UsageError({
    code: 'BASELINE_INVALID',
    file,
    ...(pointer ? { pointer } : {}),
    message: `not a baseline file: ${message}`,
    hint: 'write it with `neurons validate --write-baseline FILE`',
  });
}

/** Parses a baseline file's text; every fault is a `BASELINE_INVALID` usage error (exit 2). */
export function parseBaseline(text: string, file: string): Baseline {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(file, (error as Error).message);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(file, 'expected an object with `version` and `problems`');
  const { version, problems } = value as Record<string, unknown>;
  if (version !== formatVersion)
    throw invalid(file, `version ${JSON.stringify(version)}; this neurons reads version ${formatVersion}`, '/version');
  if (!Array.isArray(problems)) throw invalid(file, '`problems` must be an array', '/problems');
  const entries = problems.map((item: unknown, index): BaselineEntry => {
    const entry = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const { code, file: path, pointer } = entry;
    if (
      typeof code !== 'string' ||
      typeof path !== 'string' ||
      !(pointer === null || pointer === undefined || typeof pointer === 'string')
    ) {
      throw invalid(
        file,
        'each problem has a string `code` and `file`, and a `pointer` that is a string or null',
        `/problems/${index}`,
      );
    }
    return { code, file: path, pointer: pointer ?? null };
  });
  return { file, entries };
}

export interface BaselineSplit {
  /** In the baseline: printed as known, never a failure. */
  known: Problem[];
  /** Not in the baseline: a failure. */
  fresh: Problem[];
  /** Baseline entries no problem matches any more (fixed): the baseline can be written again, smaller. */
  stale: BaselineEntry[];
}

/** Without a baseline every problem is new. */
export function splitByBaseline(problems: Problem[], baseline: Baseline | undefined): BaselineSplit {
  if (!baseline) return { known: [], fresh: problems, stale: [] };
  const keys = new Set(baseline.entries.map(baselineKey));
  const seen = new Set(problems.map((problem) => baselineKey(problem)));
  return {
    known: problems.filter((problem) => keys.has(baselineKey(problem))),
    fresh: problems.filter((problem) => !keys.has(baselineKey(problem))),
    stale: baseline.entries.filter((entry) => !seen.has(baselineKey(entry))),
  };
}
