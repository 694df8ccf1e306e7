import { NeuronsError, UsageError } from '../errors/neurons-error.js';
import { SingleFlight } from './scheduler.js';
import type { WatchedSource } from './source.js';
import { writeWatchState, type WatchState } from './state.js';
import { startWatchServer } from './webhook.js';

/** One structured log line (the command prints it as JSON with its time). */
export type WatchLog = (event: object) => void;

/** What one run of the pipeline did, as the watcher records it. */
export interface WatchRunResult {
  pushed: string[];
  unchanged: number;
  /** Flavors that failed, and those left out for their errors. */
  failed: Array<{ id: string; code: string }>;
  /** Flavors the plan skipped: the commit is not published whole. */
  skipped: number;
  /** A failure that stopped the catalog stage. */
  fatal: NeuronsError | undefined;
}

/** Runs the pipeline on `head`, for what changed since `base` (the last published commit). */
export type WatchRun = (head: string, base: string | undefined) => Promise<WatchRunResult>;

/**
 * One pass of the watcher: refresh the source, and when its head is not the last published commit, run and record
 * the run in the state folder. A run that did not publish everything throws, so the scheduler backs off.
 */
export function watchPublisher(options: {
  source: WatchedSource;
  stateDirectory: string;
  state: WatchState;
  log: WatchLog;
  run: WatchRun;
}): { publish: () => Promise<void>; state: () => WatchState } {
  const { source, log } = options;
  let state = options.state;
  const publish = async (): Promise<void> => {
    const head = await source.refresh();
    state = { ...state, head };
    if (head === state.lastPublished) {
      log({ event: 'up-to-date', head });
      return;
    }
    log({ event: 'run', head, since: state.lastPublished ?? null });
    const result = await options.run(head, state.lastPublished);
    const { failed } = result;
    const ok = failed.length === 0 && !result.fatal && result.skipped === 0;
    state = {
      head,
      lastPublished: ok ? head : state.lastPublished,
      lastRun: { at: new Date().toISOString(), head, ok, pushed: result.pushed, unchanged: result.unchanged, failed },
    };
    await writeWatchState(options.stateDirectory, state);
    log({ event: ok ? 'published' : 'failed', head, pushed: state.lastRun?.pushed, failed });
    if (!ok)
      throw (
        result.fatal ??
        new NeuronsError({
          code: 'WATCH_RUN_FAILED',
          message: `${failed.length} flavor(s) failed at ${head}`,
          hint: 'see the log lines; the next run retries (backing off)',
        })
      );
  };
  return { publish, state: () => state };
}

/**
 * The long-running watcher: `publish` on a schedule, one run at a time, backing off after a failure; woken early by
 * a webhook, with /healthz and /status served at `address`. Returns after SIGTERM/SIGINT, once the current run ended.
 */
export async function serveWatch(options: {
  publish: () => Promise<void>;
  state: () => WatchState;
  repo: string;
  intervalMs: number;
  /** ADDR:PORT of the webhook or the status server. */
  address: string | undefined;
  /** The webhook's secret; undefined serves the status only. */
  secret: string | undefined;
  log: WatchLog;
}): Promise<void> {
  const { intervalMs: interval, address, log } = options;
  const flight = new SingleFlight(options.publish, {
    intervalMs: interval,
    maxBackoffMs: Math.max(interval, 3_600_000),
    onError: (error) =>
      log({ event: 'error', code: (error as NeuronsError).code ?? 'INTERNAL', message: (error as Error).message }),
  });
  const server = address
    ? await startWatchServer({
        ...parseAddress(address),
        secret: options.secret,
        wake: () => flight.wake(),
        log,
        status: () => {
          const state = options.state();
          return {
            head: state.head ?? null,
            lastPublished: state.lastPublished ?? null,
            lastRun: state.lastRun ?? null,
            running: flight.busy,
            runs: flight.runs,
            failures: flight.failures,
            nextRun: flight.nextRunAt?.toISOString() ?? null,
          };
        },
      })
    : undefined;
  log({ event: 'watching', repo: options.repo, interval, listen: address ?? null });
  flight.wake();
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string): void => {
      log({ event: 'stopping', signal, running: flight.busy });
      // The current run finishes (catalogs are only ever renamed into place whole); nothing new starts.
      void flight.stop().then(() => {
        server?.close();
        resolve();
      });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

function parseAddress(value: string): { host: string; port: number } {
  const colon = value.lastIndexOf(':');
  const port = Number(value.slice(colon + 1));
  if (colon < 1 || !Number.isInteger(port))
    throw new UsageError({ code: 'USAGE', message: `expected ADDR:PORT, not '${value}'`, hint: 'e.g. 127.0.0.1:8088' });
  return { host: value.slice(0, colon).replace(/^\[|\]$/g, ''), port };
}
