import { UsageError } from '../errors/neurons-error.js';

/** `90s`, `15m`, `1h`, or plain seconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new UsageError({ code: 'USAGE', message: `not a duration: '${value}'`, hint: 'e.g. 90s, 15m, 1h' });
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  return Number(match[1]) * unit;
}
