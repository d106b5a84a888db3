/**
 * Compose sizes are bytes with binary units written loosely (512m, 1.5G, 2gb, 1024k, 1073741824);
 * a manifest's memory quantity spells binary units Ki, Mi, Gi, Ti. Compose's "512M" is 512 × 1024²
 * bytes, so it becomes "512Mi", not "512M" (which would be 512 × 1000²).
 */
export function toMemoryQuantity(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? String(Math.round(value)) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*(?:([kmgtp])(?:i?b)?|b)?$/i.exec(value.trim());
  if (!match) return undefined;
  const amount = match[1]!;
  const unit = match[2]?.toLowerCase();
  if (!unit) return String(Math.round(Number(amount)));
  if (unit === 'p') return `${Number(amount) * 1024}Ti`;
  return `${amount}${unit.toUpperCase()}i`;
}

/** Compose `cpus` ("0.5", 2) as a number of CPUs; undefined when not a positive number. */
export function toCpuQuantity(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  return n > 0 ? n : undefined;
}
