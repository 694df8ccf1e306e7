/**
 * Runs one job at a time: a wake-up during a run schedules exactly one more run after it (however many wake-ups
 * came), never a second concurrent one. After a failure the next run waits longer (exponential, capped).
 */
export class SingleFlight {
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  failures = 0;
  runs = 0;
  nextRunAt: Date | undefined;

  constructor(
    private readonly job: () => Promise<void>,
    private readonly options: { intervalMs: number; maxBackoffMs: number; onError: (error: unknown) => void },
  ) {}

  /** Run now, or once more right after the current run. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.loop();
  }

  /** Stops scheduling; waits for the current run to finish (it is never cut in the middle of a publish). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      this.runs += 1;
      try {
        await this.job();
        this.failures = 0;
      } catch (error) {
        this.failures += 1;
        this.options.onError(error);
      }
    } while (this.again && !this.stopped);
    this.running = undefined;
    if (this.stopped) return;
    const delay =
      this.failures === 0
        ? this.options.intervalMs
        : Math.min(this.options.intervalMs * 2 ** this.failures, this.options.maxBackoffMs);
    this.nextRunAt = new Date(Date.now() + delay);
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref?.();
  }
}
