import { asObject } from '../runner/job-config.js';

/**
 * What a smoke-test job must end with, read from its `output/output.json` the way Cortex's JobRunnerSrv reads it:
 * - `success` a boolean (the engine takes anything else as false, so a worker that means true would fail there);
 * - on success, `full` an object (the engine reads it with `.as[JsObject]`: without it the job ends in an error), and
 *   `summary` an object, `artifacts` and `operations` arrays of objects when present (the engine silently drops
 *   them otherwise: a report that loses its findings is not one we publish);
 * - on failure, `errorMessage` a string (the message the analyst sees).
 */
export type Expectation =
  /** A sample job without `expect.json`: the worker must report a success. */
  | 'success'
  /** A sample job with `expect.json` `{"success": false}`: the worker must fail cleanly. */
  | 'failure'
  /** A generated job: a report either way; a clean failure proves the worker runs. */
  | 'report';

export interface ReportJudgement {
  passed: boolean;
  /** One line: what the report said, or why it is not one the engine accepts. */
  detail: string;
}

/**
 * Judges the text of `output/output.json` (undefined: there is none). Pure: the container's logs are added to a
 * failure by the caller.
 */
export function judgeReport(text: string | undefined, expectation: Expectation): ReportJudgement {
  if (text === undefined) return fail('no output/output.json');
  if (text.trim() === '') return fail('output/output.json is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail(`output/output.json is not valid JSON (${(error as Error).message})`);
  }
  const report = asObject(value);
  if (!report) return fail(`output/output.json is ${describe(value)}, not a JSON object`);
  const success = report['success'];
  if (typeof success !== 'boolean')
    return fail(`success is ${describe(success)}, not a boolean (the engine takes it as false)`);
  if (!success) {
    const errorMessage = report['errorMessage'];
    if (typeof errorMessage !== 'string' || errorMessage.trim() === '')
      return fail(`success is false without an errorMessage string (errorMessage is ${describe(errorMessage)})`);
    if (expectation === 'success') return fail(`the worker reported a failure: ${errorMessage}`);
    return {
      passed: true,
      detail: `${expectation === 'failure' ? 'failed as expected' : 'failed cleanly'}: ${errorMessage}`,
    };
  }
  const shapeProblem = checkSuccessShape(report);
  if (shapeProblem) return fail(shapeProblem);
  if (expectation === 'failure')
    return fail('expect.json expects a failure with an errorMessage, the worker reported success: true');
  return { passed: true, detail: `success${describeSummary(report)}` };
}

function checkSuccessShape(report: Record<string, unknown>): string | undefined {
  if (!asObject(report['full']))
    return `success is true but full is ${describe(report['full'])}, not an object (the engine needs the full report)`;
  if (report['summary'] !== undefined && !asObject(report['summary']))
    return `summary is ${describe(report['summary'])}, not an object`;
  for (const field of ['artifacts', 'operations']) {
    const list = report[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) return `${field} is ${describe(list)}, not an array`;
    const bad = list.findIndex((item) => !asObject(item));
    if (bad >= 0) return `${field}[${bad}] is ${describe(list[bad])}, not an object`;
  }
  return undefined;
}

/** The report's taxonomies (`namespace:predicate=value`), so a passing case still shows what the worker found. */
function describeSummary(report: Record<string, unknown>): string {
  const taxonomies = asObject(report['summary'])?.['taxonomies'];
  if (!Array.isArray(taxonomies) || taxonomies.length === 0) return '';
  const items = taxonomies
    .map((item) => asObject(item) ?? {})
    .map((item) => `${String(item['namespace'])}:${String(item['predicate'])}=${JSON.stringify(item['value'])}`);
  return `; ${items.join(', ')}`;
}

/** A short, bounded description of a JSON value for a message. */
function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function fail(detail: string): ReportJudgement {
  return { passed: false, detail };
}
