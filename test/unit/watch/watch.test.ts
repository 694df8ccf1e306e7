import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/util/duration.js';
import { SingleFlight } from '../../../src/watch/scheduler.js';
import { maxWebhookBytes, startWatchServer } from '../../../src/watch/webhook.js';

/** Resolves once every callback already queued (promise continuations, I/O) has run: an order, not a delay. */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A job whose runs each wait until the test lets them finish. */
function gatedJob() {
  const gates: Array<() => void> = [];
  const state = { runs: 0, concurrent: 0, most: 0 };
  const job = async (): Promise<void> => {
    state.runs += 1;
    state.concurrent += 1;
    state.most = Math.max(state.most, state.concurrent);
    await new Promise<void>((resolve) => gates.push(resolve));
    state.concurrent -= 1;
  };
  return {
    job,
    state,
    finishRun: (): void => gates.shift()?.(),
    finishAll: (): void => gates.splice(0).forEach((open) => open()),
    pending: () => gates.length,
  };
}

describe('single flight', () => {
  it('runs one job at a time: wake-ups during a run make exactly one more run', async () => {
    const { job, state, finishRun, finishAll, pending } = gatedJob();
    const flight = new SingleFlight(job, { intervalMs: 60_000, maxBackoffMs: 60_000, onError: () => undefined });
    try {
      flight.wake();
      expect(state.runs).toBe(1);
      flight.wake();
      flight.wake();
      flight.wake();
      await settled();
      expect(state.runs).toBe(1);
      finishRun();
      await settled();
      // The three wake-ups made one more run, started as soon as the first ended.
      expect(state.runs).toBe(2);
      expect(pending()).toBe(1);
      finishRun();
      await settled();
      expect(state.runs).toBe(2);
      expect(flight.busy).toBe(false);
      expect(state.most).toBe(1);
    } finally {
      finishAll();
      await flight.stop();
    }
  });

  it('backs off after failures, exponentially and capped, and stops cleanly', async () => {
    const flight = new SingleFlight(async () => Promise.reject(new Error('boom')), {
      intervalMs: 1_000,
      maxBackoffMs: 3_000,
      onError: () => undefined,
    });
    // The next run is due some delay after the failure, which happened between `before` and `after`: the delay lies
    // between these bounds, however long the machine took.
    const nextRunDelay = async (): Promise<{ shortest: number; longest: number }> => {
      const before = Date.now();
      flight.wake();
      await settled();
      const after = Date.now();
      const next = flight.nextRunAt?.getTime() ?? 0;
      return { shortest: next - after, longest: next - before };
    };
    const first = await nextRunDelay();
    expect(flight.failures).toBe(1);
    expect(first.shortest).toBeLessThanOrEqual(2_000);
    expect(first.longest).toBeGreaterThanOrEqual(2_000);
    const second = await nextRunDelay();
    expect(flight.failures).toBe(2);
    expect(second.shortest).toBeLessThanOrEqual(3_000);
    expect(second.longest).toBeGreaterThanOrEqual(3_000);
    await flight.stop();
    expect(flight.busy).toBe(false);
  });

  it('reads durations', () => {
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(() => parseDuration('soon')).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

describe('webhook and status endpoint', () => {
  it('checks the signature before anything else, and only wakes the poller', async () => {
    let wakes = 0;
    const secret = 'webhook-secret';
    const server = await startWatchServer({
      host: '127.0.0.1',
      port: 0,
      secret,
      wake: () => void (wakes += 1),
      log: () => undefined,
      status: () => ({ head: 'abc', runs: 3 }),
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'f'.repeat(40) });
    const sign = (text: string, key = secret) => `sha256=${createHmac('sha256', key).update(text).digest('hex')}`;
    const post = (headers: Record<string, string>, payload = body) =>
      fetch(`${base}/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: payload,
      });
    try {
      expect((await post({ 'x-github-event': 'push' })).status).toBe(401);
      expect((await post({ 'x-github-event': 'push', 'x-hub-signature-256': sign(body, 'forged') })).status).toBe(401);
      expect((await post({ 'x-github-event': 'push', 'x-hub-signature-256': sign(`${body} `) })).status).toBe(401);
      expect(wakes).toBe(0);
      expect((await post({ 'x-github-event': 'issues', 'x-hub-signature-256': sign(body) })).status).toBe(400);
      expect((await post({ 'x-github-event': 'ping', 'x-hub-signature-256': sign(body) })).status).toBe(200);
      expect(wakes).toBe(0);
      expect((await post({ 'x-github-event': 'push', 'x-hub-signature-256': sign(body) })).status).toBe(202);
      expect(wakes).toBe(1);
      // Over the limit: a 413 the sender can read, never a reset (announced by Content-Length, or streamed chunked).
      const huge = 'x'.repeat(maxWebhookBytes + 1);
      expect((await post({ 'x-github-event': 'push', 'x-hub-signature-256': sign(huge) }, huge)).status).toBe(413);
      expect(
        (await post({ 'x-github-event': 'push', 'x-hub-signature-256': sign(huge) }, 'x'.repeat(5 * maxWebhookBytes)))
          .status,
      ).toBe(413);
      const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let sent = 0; sent <= maxWebhookBytes; sent += chunk.length) controller.enqueue(chunk);
          controller.close();
        },
      });
      const chunked = await fetch(`${base}/webhook`, {
        method: 'POST',
        headers: { 'x-github-event': 'push', 'x-hub-signature-256': sign(huge) },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      expect(chunked.status).toBe(413);
      // Exactly at the limit is still read (and refused for its signature, not its size).
      const full = 'x'.repeat(maxWebhookBytes);
      expect((await post({ 'x-github-event': 'push', 'x-hub-signature-256': sign(full, 'forged') }, full)).status).toBe(
        401,
      );
      expect(wakes).toBe(1);
      expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok\n');
      expect(await (await fetch(`${base}/status`)).json()).toEqual({ head: 'abc', runs: 3 });
    } finally {
      server.close();
    }
  });
});

describe('neurons watch, as the pipeline publishes', () => {
  it('takes the catalog options of the pipeline, and stops before it starts when it must sign and cannot', async () => {
    const { runMain } = await import('../../helpers/memory-io.js');
    const { mkdtemp, readdir } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const work = await mkdtemp(path.join(tmpdir(), 'neurons-watch-'));
    const state = path.join(work, 'state');
    const refused = await runMain(['watch', '--repo', work, '--state', state, '--once', '--require-signature'], work, {
      NEURONS_ENV_DIR: path.join(work, 'no-env'),
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('SIGN_KEY_REQUIRED');
    expect(await readdir(work)).toEqual([]);
    const help = await runMain(['help', 'watch'], work);
    for (const option of ['--publish', '--sign', '--require-signature', '--expires-days'])
      expect(help.stdout).toContain(option);
  });
});
