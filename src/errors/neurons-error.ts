import type { Problem } from './problem.js';

/** Exit codes, documented in the README. */
export const ExitCode = {
  ok: 0,
  /** A worker or catalog problem: validation errors, a failed build, a missing image. */
  failure: 1,
  /** The command line or the configuration file is wrong. */
  usage: 2,
  /** The environment is not usable: no Docker engine, registry unreachable, authentication refused. */
  environment: 3,
  /** A bug in neurons: a stack trace is printed. */
  internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * A failure the user can act on. The CLI prints `code`, the message, the file/field and the hint, never a stack.
 */
export class NeuronsError extends Error {
  override name = 'NeuronsError';
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly problem: Problem;

  constructor(problem: Problem, options: { exitCode?: ExitCode; cause?: unknown } = {}) {
    super(problem.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = problem.code;
    this.problem = problem;
    this.exitCode = options.exitCode ?? ExitCode.failure;
  }
}

/** Usage errors (bad flags, bad configuration) exit with 2. */
export class UsageError extends NeuronsError {
  override name = 'UsageError';
  constructor(problem: Problem) {
    super(problem, { exitCode: ExitCode.usage });
  }
}

/** The Docker engine, a registry or another service could not be used. */
export class EnvironmentError extends NeuronsError {
  override name = 'EnvironmentError';
  constructor(problem: Problem, cause?: unknown) {
    super(problem, { exitCode: ExitCode.environment, cause });
  }
}
