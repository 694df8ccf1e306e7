import { Terminal } from '@xterm/headless';
import { describe, expect, it } from 'vitest';
import { createProgressView, resolveProgressMode, type ProgressStream } from '../../../src/cli/progress-view.js';

/**
 * A terminal of the given size: what is written goes through a real terminal emulator (xterm.js), as a user sees it.
 * Line feeds become carriage return and line feed, as a terminal's line discipline turns them (`onlcr`).
 */
function terminal(columns = 60, rows = 12): { stream: ProgressStream; screen(): Promise<string[]>; raw(): string } {
  const term = new Terminal({ cols: columns, rows, allowProposedApi: true, convertEol: true });
  let written = '';
  let pending = Promise.resolve();
  const stream: ProgressStream = {
    isTTY: true,
    columns,
    rows,
    write(text: string) {
      written += text;
      pending = pending.then(() => new Promise<void>((resolve) => term.write(text, resolve)));
      return true;
    },
  };
  return {
    stream,
    raw: () => written,
    async screen() {
      await pending;
      const buffer = term.buffer.active;
      const lines: string[] = [];
      for (let row = 0; row < buffer.length; row += 1) lines.push(buffer.getLine(row)?.translateToString(true) ?? '');
      while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
      return lines;
    },
  };
}

/** A clock moved by hand; the view's one-second redraw is called when the test says so. */
function manualClock(): {
  now(): number;
  every(ms: number, tick: () => void): () => void;
  advance(ms: number): void;
  stopped: boolean;
} {
  let time = 1_000_000;
  let tick: (() => void) | undefined;
  const clock = {
    stopped: false,
    now: () => time,
    every(_ms: number, callback: () => void) {
      tick = callback;
      return () => {
        clock.stopped = true;
        tick = undefined;
      };
    },
    advance(ms: number) {
      time += ms;
      tick?.();
    },
  };
  return clock;
}

describe('the progress view', () => {
  it('is live on a terminal only: plain in CI, in GitHub Actions, on a dumb terminal, into a pipe; as asked otherwise', () => {
    const tty = { isTTY: true, write: () => true };
    const pipe = { write: () => true };
    expect(resolveProgressMode('auto', tty, {})).toBe('live');
    expect(resolveProgressMode('auto', tty, { CI: 'true' })).toBe('plain');
    expect(resolveProgressMode('auto', tty, { CI: 'false' })).toBe('live');
    expect(resolveProgressMode('auto', tty, { GITHUB_ACTIONS: 'true' })).toBe('plain');
    expect(resolveProgressMode('auto', tty, { TERM: 'dumb' })).toBe('plain');
    expect(resolveProgressMode('auto', pipe, {})).toBe('plain');
    expect(resolveProgressMode('json', tty, {})).toBe('json');
    expect(resolveProgressMode('plain', tty, {})).toBe('plain');
  });

  it('shows the running workers with their elapsed times in a block redrawn in place, finished ones scrolling above', async () => {
    const term = terminal();
    const clock = manualClock();
    const view = createProgressView('auto', term.stream, {}, clock);
    view.event({ worker: 'analyzers/HashCalc', flavor: 'HashCalc_MD5_1_0', state: 'queued' });
    view.event({ worker: 'analyzers/HashCalc', flavor: 'HashCalc_SHA1_1_0', state: 'queued' });
    view.event({ worker: 'analyzers/UrlInspect', flavor: 'UrlInspect_1_0', state: 'queued' });
    view.event({ worker: 'analyzers/HashCalc', state: 'building' });
    clock.advance(3000);
    view.event({ worker: 'analyzers/UrlInspect', state: 'building' });
    clock.advance(2000);
    expect(await term.screen()).toEqual([
      '2 running, 0 queued, 0 done, 0 unchanged, 0 failed  5 s',
      '  building analyzers/HashCalc  5 s',
      '  building analyzers/UrlInspect  2 s',
    ]);
    view.log('pulling base image python:3.12');
    view.event({ worker: 'analyzers/HashCalc', flavor: 'HashCalc_MD5_1_0', state: 'testing' });
    clock.advance(1000);
    view.event({
      worker: 'analyzers/HashCalc',
      flavor: 'HashCalc_MD5_1_0',
      state: 'done',
      durationMs: 6000,
      detail: 'registry.example/acme/hashcalc_md5:1',
    });
    view.event({ worker: 'analyzers/HashCalc', flavor: 'HashCalc_SHA1_1_0', state: 'failed', detail: 'SMOKE_FAILED' });
    expect(await term.screen()).toEqual([
      'pulling base image python:3.12',
      'done     HashCalc_MD5_1_0 (6.0 s)  registry.example/acme/h…',
      'failed   HashCalc_SHA1_1_0  SMOKE_FAILED',
      '1 running, 0 queued, 1 done, 0 unchanged, 1 failed  6 s',
      '  building analyzers/UrlInspect  3 s',
    ]);
    view.event({
      worker: 'analyzers/UrlInspect',
      flavor: 'UrlInspect_1_0',
      state: 'skipped',
      detail: 'unchanged in the registry',
    });
    view.close();
    // The block is gone, what scrolled stays, the cursor is visible again and the clock stopped.
    expect(await term.screen()).toEqual([
      'pulling base image python:3.12',
      'done     HashCalc_MD5_1_0 (6.0 s)  registry.example/acme/h…',
      'failed   HashCalc_SHA1_1_0  SMOKE_FAILED',
      'skipped  UrlInspect_1_0  unchanged in the registry',
    ]);
    expect(clock.stopped).toBe(true);
    expect(term.raw().lastIndexOf('\x1b[?25h')).toBeGreaterThan(term.raw().lastIndexOf('\x1b[?25l'));
  });

  it('cuts lines to the width and the block to the height of the terminal, so a redraw never leaves a line behind', async () => {
    const term = terminal(40, 6);
    const clock = manualClock();
    const view = createProgressView('auto', term.stream, {}, clock);
    for (let index = 0; index < 9; index += 1)
      view.event({ worker: `analyzers/AVeryLongWorkerFolderName${index}`, state: 'building' });
    clock.advance(1000);
    clock.advance(1000);
    const screen = await term.screen();
    expect(screen).toHaveLength(5);
    expect(screen[0]).toBe('9 running, 0 queued, 0 done, 0 unchang…');
    expect(screen.at(-1)).toBe('  ... and 6 more');
    expect(screen.every((line) => line.length < 40)).toBe(true);
    view.close();
    expect(await term.screen()).toEqual([]);
  });

  it('writes plain lines or JSON lines, without escape sequences, when not live', () => {
    for (const mode of ['plain', 'json'] as const) {
      let written = '';
      const view = createProgressView(mode, { isTTY: true, write: (text: string) => (written += text) }, {});
      view.event({ worker: 'analyzers/A', flavor: 'A_1_0', state: 'done', durationMs: 1500, detail: 'r/a:1' });
      view.log('a log line');
      view.close();
      expect(written).not.toContain('\x1b');
      if (mode === 'plain') expect(written).toBe('done     A_1_0 (1.5 s)  r/a:1\na log line\n');
      else
        expect(
          written
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as unknown),
        ).toEqual([
          {
            type: 'progress',
            worker: 'analyzers/A',
            flavor: 'A_1_0',
            state: 'done',
            durationMs: 1500,
            detail: 'r/a:1',
          },
          { type: 'log', line: 'a log line' },
        ]);
    }
  });
});
