import type { ExitCode } from './neurons-error.js';

/** The command or stage a code belongs to: where a user looks for its cause. */
export type ErrorArea =
  | 'definitions'
  | 'cli'
  | 'catalog'
  | 'config'
  | 'build'
  | 'registry'
  | 'push'
  | 'tls'
  | 'detect'
  | 'templates'
  | 'render'
  | 'deps'
  | 'plan'
  | 'smoke'
  | 'publish'
  | 'update'
  | 'run'
  | 'ca'
  | 'environment'
  | 'watch';

export interface ErrorCatalogEntry {
  /** The exit code when the problem ends a command: 0 for a warning, else `ExitCode`. */
  exit: ExitCode;
  area: ErrorArea;
  /** One line for a user: what happened. The problem itself adds the file, the details and a hint. */
  meaning: string;
}
