import pc from 'picocolors';
import type { CommandIO } from './io.ts';

// What every `list` command shares: --limit, and a note when the limit left rows out.

/** The options every list command takes beside its own. */
export interface ListOptions {
  /** At most this many rows; every row when absent. */
  limit?: number;
}

/** `{ limit }` for callApiList, when the user gave one. */
export function listLimitOf(options: ListOptions): { limit?: number } {
  return options.limit !== undefined ? { limit: options.limit } : {};
}

/** Tells people (on stderr, so pipes keep only the table) that --limit left rows out. */
export function moreRowsNote(io: CommandIO, shown: number, nextCursor: string | null): void {
  if (nextCursor) io.err(pc.dim(`showing the first ${shown}; there are more: raise --limit, or leave it out to list them all`));
}
