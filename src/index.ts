// The package's programmatic surface: the CLI as a function, and the stages it is made of. Named exports only;
// importing this module runs nothing.
export { main } from './cli/main.js';
export type { CliIo } from './cli/command.js';
export { discoverRepository } from './definitions/discover.js';
export type { Discovery, Flavor, WorkerFolder, WorkerKind } from './definitions/types.js';
export { loadConfig, type Config, type ConfigOverrides } from './config/load-config.js';
export { runPipeline, type PipelineOptions, type PipelineReport, type ProgressEvent } from './pipeline.js';
export { runUpdate, type UpdateOptions, type UpdateReport } from './update/update.js';
export { verifyIndex } from './catalog/verify-index.js';
export { ExitCode, NeuronsError, UsageError, EnvironmentError } from './errors/neurons-error.js';
export type { Problem } from './errors/problem.js';
