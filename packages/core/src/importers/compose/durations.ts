/**
 * Compose writes durations as Go does (1m30s, 1.5s, 300ms, 10us); a manifest takes one number and
 * one unit (90s, 1500ms).
 */
const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function composeDurationMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '0') return 0;
  if (!/^(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))*$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) total += Number(amount) * unitMs[unit!]!;
  return total;
}

/** The largest whole unit: 90000 → 90s, 3600000 → 1h, 1500 → 1500ms. Below a millisecond rounds up to 1ms. */
export function formatDuration(ms: number): string {
  const whole = ms > 0 && ms < 1 ? 1 : Math.round(ms);
  if (whole === 0) return '0s';
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (whole % size === 0) return `${whole / size}${unit}`;
  }
  return `${whole}ms`;
}
