import type { ReportTemplates } from './report-templates.js';
import type { Problem } from '../errors/problem.js';

export type WorkerKind = 'analyzer' | 'responder';
/** `custom`: the folder has its own Dockerfile, which wins over every template. */
export type Runtime = 'python' | 'go' | 'node' | 'custom';

export interface ConfigurationItem {
  name: string;
  description: string;
  type: 'text' | 'string' | 'number' | 'boolean';
  /** Absent means false, as the engine reads it (a warning says so). */
  multi?: boolean;
  required?: boolean;
  defaultValue?: unknown;
  [field: string]: unknown;
}

/** A flavor definition (`<Flavor>.json`) as the engine reads it. Unknown fields are kept. */
export interface Definition {
  name: string;
  version: string;
  author: string;
  url: string;
  license: string;
  description: string;
  dataTypeList: string[];
  command: string;
  baseConfig: string;
  config?: Record<string, unknown>;
  configurationItems?: ConfigurationItem[];
  requirements?: string;
  dockerImage?: string;
  [field: string]: unknown;
}

export interface Flavor {
  /** Repository-relative path with forward slashes, e.g. `analyzers/Abuse/Abuse_Lookup.json`. */
  file: string;
  /**
   * The definition as written (parsed, field order preserved). Matches its type only when the folder's
   * `errorCount` is 0.
   */
  definition: Definition;
  /** The engine's worker id: `name_version` with dots turned into underscores. */
  id: string;
}

export interface WorkerFolder {
  kind: WorkerKind;
  /** Folder name under `analyzers/` or `responders/`, e.g. `Abuse`. */
  directory: string;
  /** Repository-relative path, e.g. `analyzers/Abuse`. */
  path: string;
  /** Undefined when it could not be decided (an error says why). */
  runtime: Runtime | undefined;
  flavors: Flavor[];
  /**
   * Repository-relative paths of every definition file of the folder, readable or not, whether or not its flavor is
   * built: they stay out of generated images (the engine reads definitions from the catalog).
   */
  definitionFiles: string[];
  /**
   * Number of errors reported for this folder or its flavors. The pipeline builds the valid flavors of a folder whose
   * errors are all about single definitions (see splitInvalidFlavors); any other error leaves the folder out.
   */
  errorCount: number;
}

export interface Discovery {
  /** Every worker folder found, ordered by kind (analyzers first), then folder name. */
  workers: WorkerFolder[];
  /** Repository-relative paths of `*.deprecated` definition files. */
  deprecated: string[];
  errors: Problem[];
  warnings: Problem[];
  /**
   * TheHive's report templates (`thehive-templates/`), published beside the catalogs as `report-templates.zip`;
   * `unread` when only definitions were checked (`definitionsOnly`).
   */
  reportTemplates: ReportTemplates | { state: 'unread' };
}

export interface DiscoverOptions {
  /** Check definitions only, without looking for code files (`command`, `requirements`, runtime). */
  definitionsOnly: boolean;
}
