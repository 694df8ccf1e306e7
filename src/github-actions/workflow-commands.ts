import type { Problem, Severity } from '../errors/problem.js';

// GitHub Actions reads `::name key=value,key=value::data` lines from a step's output. Its runner unescapes
// %25, %0D and %0A in the data, and also %3A and %2C in property values (a `:` or `,` would end the value).

/** A workflow command's data: `%` first, so the escapes added after it are not escaped again. */
export function escapeData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** A workflow command's property value. */
export function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

/** True in a GitHub Actions job (the runner sets `GITHUB_ACTIONS=true`; Drone and others do not). */
export function inGithubActions(env: NodeJS.ProcessEnv): boolean {
  return env['GITHUB_ACTIONS'] === 'true';
}

/**
 * `::error file=F,line=L,col=C,title=CODE::message` (or `::warning`): GitHub shows it as an annotation on the file,
 * in the pull request's diff. The hint follows the message on a line of its own.
 */
export function problemCommand(problem: Problem, severity: Severity): string {
  const properties: Array<[string, string | number | undefined]> = [
    ['file', problem.file],
    ['line', problem.line],
    ['col', problem.line === undefined ? undefined : problem.column],
    ['title', problem.code],
  ];
  const given = properties.filter(
    (entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== '',
  );
  const message = `${problem.message}${problem.pointer ? ` (${problem.pointer})` : ''}${problem.hint ? `\nhint: ${problem.hint}` : ''}`;
  return `::${severity} ${given.map(([key, value]) => `${key}=${escapeProperty(String(value))}`).join(',')}::${escapeData(message)}`;
}

/** Log lines folded under a title in the job's log: `::group::` cannot nest, so a group is written whole at once. */
export function groupedLines(title: string, lines: string[]): string {
  return [`::group::${escapeData(title)}`, ...lines, '::endgroup::'].join('\n');
}
