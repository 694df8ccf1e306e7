// Every timed side starts on a quiet machine: what the previous side left behind (dirty pages of its builds still
// being written, the engine deleting the layers of removed images) is not counted against the next one.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

/** Busy and total jiffies of all cores, from /proc/stat (user + nice + system + irq + softirq + steal; + idle + iowait). */
async function cpuTimes() {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0];
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

const sync = () =>
  new Promise((resolve) => {
    const child = spawn('sync', [], { stdio: 'ignore' });
    child.on('error', () => resolve());
    child.on('close', () => resolve());
  });

/**
 * Writes dirty pages out (`sync`), then waits until the machine was less than `threshold` busy (share of every core)
 * over one `window` of milliseconds, for at most `limit` milliseconds. Resolves with the seconds waited and the last
 * window's busy share, so a run that had to start on a busy machine says so.
 */
export async function settle({ threshold = 0.15, window = 500, limit = 20_000 } = {}) {
  const started = performance.now();
  await sync();
  let share = 1;
  while (performance.now() - started < limit) {
    const before = await cpuTimes();
    await delay(window);
    const after = await cpuTimes();
    share = after.total > before.total ? (after.busy - before.busy) / (after.total - before.total) : 0;
    if (share < threshold) break;
  }
  return { seconds: (performance.now() - started) / 1000, share };
}
