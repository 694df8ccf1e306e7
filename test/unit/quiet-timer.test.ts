import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { afterQuiet } from '../../src/util/quiet-timer.js';

/** Keeps the process busy, as a loaded machine does, without giving the event loop a turn. */
function stall(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
}

describe('afterQuiet', () => {
  it('hears what arrived while the process stalled before taking the silence for an answer', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', resolve));
    const peer = await accepted;
    const order: string[] = [];
    try {
      const heard = new Promise<void>((resolve) => client.once('data', () => resolve(void order.push('answer'))));
      const quiet = new Promise<void>((resolve) => afterQuiet(50, () => resolve(void order.push('quiet'))));
      // The answer is sent, then the process stalls past the quiet time: the timer is due before the answer is read.
      peer.write('alert');
      stall(400);
      await Promise.all([heard, quiet]);
      expect(order).toEqual(['answer', 'quiet']);
    } finally {
      client.destroy();
      peer.destroy();
      server.close();
    }
  });

  it('calls back after the quiet time when nothing stalls', async () => {
    const started = Date.now();
    await new Promise<void>((resolve) => afterQuiet(20, resolve));
    expect(Date.now() - started).toBeGreaterThanOrEqual(19);
  });
});
