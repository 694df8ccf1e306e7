import type { ProgressEvent } from '../pipeline.js';
import { printable, printableJson } from '../util/printable.js';
import { inGithubActions } from '../github-actions/workflow-commands.js';

export type ProgressMode = 'auto' | 'plain' | 'json';
export const progressModes: readonly ProgressMode[] = ['auto', 'plain', 'json'];

/** Where the view writes: the standard error of the command, a terminal or not. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

/** What a build run shows while it works: each event, and the log lines between them. */
export interface ProgressView {
  event(event: ProgressEvent): void;
  log(line: string): void;
  /** Ends the view: a live one erases its block and shows the cursor again. */
  close(): void;
}

/** One line per event, as plain text: what logs and CI systems keep. */
export function progressLine(event: ProgressEvent): string {
  const duration = event.durationMs === undefined ? '' : ` (${(event.durationMs / 1000).toFixed(1)} s)`;
  return `${event.state.padEnd(8)} ${event.flavor ?? event.worker}${duration}${event.detail ? `  ${event.detail}` : ''}`;
}

/**
 * `auto` is the live view on a terminal, plain lines elsewhere: a CI log (`CI`, GitHub Actions), a pipe or a file,
 * and a terminal that cannot move its cursor (`TERM=dumb`).
 */
export function resolveProgressMode(
  mode: ProgressMode,
  stream: ProgressStream,
  env: NodeJS.ProcessEnv,
): 'live' | 'plain' | 'json' {
  if (mode !== 'auto') return mode;
  const ci = env['CI'] !== undefined && env['CI'] !== '' && env['CI'] !== 'false';
  return stream.isTTY === true && !ci && !inGithubActions(env) && env['TERM'] !== 'dumb' ? 'live' : 'plain';
}

export function createProgressView(
  mode: ProgressMode,
  stream: ProgressStream,
  env: NodeJS.ProcessEnv,
  clock: { now(): number; every(ms: number, tick: () => void): () => void } = systemClock,
): ProgressView {
  const resolved = resolveProgressMode(mode, stream, env);
  if (resolved === 'json') {
    return {
      event: (event) => void stream.write(`${printableJson({ type: 'progress', ...event })}\n`),
      log: (line) => void stream.write(`${printableJson({ type: 'log', line })}\n`),
      close: () => undefined,
    };
  }
  if (resolved === 'plain') {
    return {
      event: (event) => void stream.write(`${printable(progressLine(event))}\n`),
      log: (line) => void stream.write(`${printable(line)}\n`),
      close: () => undefined,
    };
  }
  return liveView(stream, clock);
}

const systemClock = {
  now: () => Date.now(),
  every(ms: number, tick: () => void): () => void {
    const timer = setInterval(tick, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};

const finished = new Set<ProgressEvent['state']>(['done', 'skipped', 'failed']);
const escape = '\x1b[';

/**
 * The live view: finished events and log lines scroll as plain lines; below them a block, redrawn in place every
 * second, says how many are queued, running and finished, and each running worker with its state and elapsed time.
 * A worker's own line gives way to its flavors' once they are tested and pushed. Lines are cut to the terminal's
 * width (a wrapped line would break the redraw) and the block to its height.
 */
function liveView(
  stream: ProgressStream,
  clock: { now(): number; every(ms: number, tick: () => void): () => void },
): ProgressView {
  const started = clock.now();
  const running = new Map<string, { label: string; state: string; since: number }>();
  /** Flavors not started yet, with their worker. */
  const queued = new Map<string, string>();
  const counts = { done: 0, skipped: 0, failed: 0 };
  let drawn = 0;
  let closed = false;
  const width = (): number => Math.max(20, (stream.columns ?? 80) - 1);
  const cut = (line: string): string => (line.length > width() ? `${line.slice(0, width() - 1)}…` : line);
  const seconds = (ms: number): string => `${(ms / 1000).toFixed(0)} s`;
  const block = (): string[] => {
    const now = clock.now();
    const head = `${running.size} running, ${queued.size} queued, ${counts.done} done, ${counts.skipped} unchanged, ${counts.failed} failed  ${seconds(now - started)}`;
    const rows = [...running.values()].map(
      ({ label, state, since }) => `  ${state.padEnd(8)} ${label}  ${seconds(now - since)}`,
    );
    const room = Math.max(1, (stream.rows ?? 24) - 2);
    if (rows.length > room) rows.splice(room - 1, rows.length, `  ... and ${rows.length - room + 1} more`);
    return [head, ...rows].map((line) => cut(printable(line)));
  };
  // Cursor to the start of the block, erase to the end of the screen, then what scrolls, then the block again.
  const redraw = (above: string[] = []): void => {
    if (closed) return;
    const lines = block();
    stream.write(
      `${drawn > 0 ? `\r${escape}${drawn}A` : ''}${escape}J${above.map((line) => `${cut(printable(line))}\n`).join('')}${lines.join('\n')}\n`,
    );
    drawn = lines.length;
  };
  // The cursor is hidden while the block is redrawn, and shown again however the process ends.
  const showCursor = (): void => void stream.write(`${escape}?25h`);
  stream.write(`${escape}?25l`);
  process.once('exit', showCursor);
  const stop = clock.every(1000, () => redraw());
  return {
    event(event) {
      const key = event.flavor ?? event.worker;
      if (event.state === 'queued') {
        queued.set(key, event.worker);
        return redraw();
      }
      queued.delete(key);
      // Flavor events follow their worker's build: the worker's line is done.
      if (event.flavor) running.delete(event.worker);
      if (finished.has(event.state)) {
        running.delete(key);
        counts[event.state === 'done' ? 'done' : event.state === 'skipped' ? 'skipped' : 'failed'] += 1;
        return redraw([progressLine(event)]);
      }
      // A worker building stands for its flavors: they are no longer waiting.
      if (!event.flavor) for (const [id, worker] of [...queued]) if (worker === event.worker) queued.delete(id);
      const current = running.get(key);
      running.set(key, { label: key, state: event.state, since: current?.since ?? clock.now() });
      redraw();
    },
    log: (line) => redraw([line]),
    close() {
      if (closed) return;
      stop();
      process.removeListener('exit', showCursor);
      stream.write(`${drawn > 0 ? `\r${escape}${drawn}A${escape}J` : ''}${escape}?25h`);
      closed = true;
    },
  };
}
