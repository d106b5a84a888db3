import type { Path, SourceFile } from './source-file.ts';

/** A YAML mapping as read, before anything is known about its keys. */
export type RawMap = Record<string, unknown>;

export function isRawMap(value: unknown): value is RawMap {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A list, or [] when absent; anything else is reported and read as []. */
export function listAt(src: SourceFile, value: unknown, path: Path, what: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  src.warn(path, `expected ${what} as a list, got ${describe(value)}; ignored`);
  return [];
}

/** A mapping, or undefined when absent; anything else is reported and read as absent. */
export function mapAt(src: SourceFile, value: unknown, path: Path, what: string): RawMap | undefined {
  if (value === undefined || value === null) return undefined;
  if (isRawMap(value)) return value;
  src.warn(path, `expected ${what} as a mapping, got ${describe(value)}; ignored`);
  return undefined;
}

/** Text of a scalar: YAML reads 8080 and true as numbers and booleans where Release meant text. */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A whole number written as a number or as digits ('8080'): Release quotes its ports. */
export function wholeNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) return Number(value);
  return undefined;
}

export function flag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  return undefined;
}

/** A command as a shell string or an argument list; numbers in the list become text. */
export function commandOf(value: unknown): string | string[] | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (!Array.isArray(value)) return undefined;
  const args = value.map(scalarText).filter((a): a is string => a !== undefined);
  return args.length > 0 && args.length === value.length ? args : undefined;
}

/** Seconds as a Slipway duration, in the largest unit that divides it: 600 → 10m. */
export function secondsToDuration(seconds: number): string {
  if (seconds > 0 && seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds > 0 && seconds % 3_600 === 0) return `${seconds / 3_600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}

/** Removes a leading "./" (Release writes "././docker/x.xml") so paths read as the repository has them. */
export function repoRelative(path: string): string {
  let out = path.trim();
  while (out.startsWith('./')) out = out.slice(2);
  return out === '' ? '.' : out;
}
