/**
 * Calls `then` once `ms` have passed with this process able to hear anything. A timer that fires late means the
 * process (or the machine) stalled: the event loop runs expired timers before the input that arrived meanwhile, so
 * an answer may be waiting unread. It waits once more instead of taking that silence for an answer.
 */
export function afterQuiet(ms: number, then: () => void): void {
  const due = Date.now() + ms;
  const timer = setTimeout(() => (Date.now() - due > ms / 4 ? afterQuiet(ms, then) : then()), ms);
  timer.unref();
}
