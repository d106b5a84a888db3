// Times as people read them in a terminal: "in 71h", "5m ago", "1.2s".

/** How far `iso` is from `now`: "in 71h" ahead, "3m ago" behind. */
export function relativeTime(iso: string, now: Date): string {
  const ms = Date.parse(iso) - now.getTime();
  if (Number.isNaN(ms)) return iso;
  const span = roughSpan(Math.abs(ms));
  if (span === 'now') return 'now';
  return ms > 0 ? `in ${span}` : `${span} ago`;
}

/** Whole seconds under a minute, minutes under an hour, hours under four days, then days. */
function roughSpan(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'now';
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 96) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

/** A duration measured to the tenth of a second while short: "850ms", "1.2s", "2m 05s", "1h 02m". */
export function formatElapsed(ms: number): string {
  if (ms < 0 || !Number.isFinite(ms)) return '?';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const totalSeconds = Math.floor(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes}m ${String(totalSeconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** Time between two stamps, when both are known. */
export function elapsedBetween(startedAt: string | undefined, finishedAt: string | undefined): string | undefined {
  if (!startedAt || !finishedAt) return undefined;
  const ms = Date.parse(finishedAt) - Date.parse(startedAt);
  return Number.isNaN(ms) ? undefined : formatElapsed(ms);
}
