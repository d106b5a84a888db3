import type { SnapshotComponent } from '@slipway/contract';

// A snapshot is identified by its content: the set, its kind and every application's version. The
// server hashes the canonical text this returns, so the same versions always make the same snapshot,
// and gives it an alias people can say: the day it was made and a counter (2026.11.23-1).

/** The canonical text of a snapshot's content: components sorted by application, keys in a fixed order. */
export function snapshotContent(input: { workspace: string; set: string; kind: 'release' | 'pre-release'; components: SnapshotComponent[] }): string {
  const components = [...input.components]
    .sort((a, b) => a.app.localeCompare(b.app))
    .map((c) => [c.app, c.commit, c.imageDigest ?? null]);
  return JSON.stringify({ workspace: input.workspace, set: input.set, kind: input.kind, components });
}

/** `YYYY.MM.DD-n` (UTC) with the smallest n ≥ 1 not among the aliases already taken. */
export function snapshotAlias(at: Date, taken: Iterable<string>): string {
  const day = `${at.getUTCFullYear()}.${String(at.getUTCMonth() + 1).padStart(2, '0')}.${String(at.getUTCDate()).padStart(2, '0')}`;
  const used = new Set(taken);
  for (let n = 1; ; n++) if (!used.has(`${day}-${n}`)) return `${day}-${n}`;
}
