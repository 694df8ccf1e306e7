// Repeated measurements: min and median of wall times.

/** Runs `measure` (which resolves with `{ seconds, ... }`) `runs` times in sequence; returns every result. */
export async function repeat(runs, measure) {
  const results = [];
  for (let run = 0; run < runs; run += 1) results.push(await measure(run));
  return results;
}

/** `{ min, median, max }` of the `seconds` of `results`. */
export function summarize(results) {
  const sorted = results.map((result) => result.seconds).sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { min: sorted[0], median, max: sorted[sorted.length - 1], runs: sorted.length };
}
