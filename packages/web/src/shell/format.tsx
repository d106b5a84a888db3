/** Small presentational pieces shared by the pages: status badges and times people read. */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return <span className={`status ${status}`}>{label ?? status}</span>;
}

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "in 3 hours", "5 minutes ago"; the exact time in the title. */
export function RelativeTime({ at }: { at: string | undefined }) {
  if (!at) return <span>—</span>;
  const ms = new Date(at).getTime() - Date.now();
  const abs = Math.abs(ms);
  const [value, unit]: [number, Intl.RelativeTimeFormatUnit] =
    abs < 60_000 ? [Math.round(ms / 1000), 'second'] : abs < 3_600_000 ? [Math.round(ms / 60_000), 'minute'] : abs < 86_400_000 ? [Math.round(ms / 3_600_000), 'hour'] : [Math.round(ms / 86_400_000), 'day'];
  return (
    <time dateTime={at} title={new Date(at).toLocaleString()}>
      {relative.format(value, unit)}
    </time>
  );
}

export const shortSha = (sha: string | undefined) => (sha ? sha.slice(0, 8) : '—');

/** Seconds between two instants, "12.3 s". */
export function duration(from: string | undefined, to: string | undefined): string | undefined {
  if (!from) return undefined;
  const ms = (to ? new Date(to).getTime() : Date.now()) - new Date(from).getTime();
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
