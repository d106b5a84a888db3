import type { z } from 'zod';

type Path = (string | number)[];

/**
 * Removes the parts of a document that fail its schema until what is left parses, so the checks of
 * meaning can still run and a user sees every mistake in one pass, not one per attempt. Returns the
 * parsed remainder and the paths taken out: findings under those paths are not reported, because
 * they would describe the pruned document, not the user's.
 */
export function pruneToValid<T>(schema: z.ZodType<T>, value: unknown, maxRounds = 12): { data?: T; pruned: Path[] } {
  const copy = structuredClone(value) as unknown;
  const pruned: Path[] = [];
  for (let round = 0; round < maxRounds; round++) {
    // reportInput tells a wrong value (input present: remove only it) from a missing one (remove its parent).
    const result = schema.safeParse(copy, { reportInput: true });
    if (result.success) return { data: result.data, pruned };
    const splicedThisRound: Path[] = [];
    let changed = false;
    for (const issue of result.error.issues) {
      const path = issue.path as Path;
      if (splicedThisRound.some((p) => startsWith(path, p))) continue;
      if (issue.code === 'unrecognized_keys') {
        const target = get(copy, path);
        if (target && typeof target === 'object') {
          for (const key of issue.keys) delete (target as Record<string, unknown>)[key];
          changed = true;
        }
        continue;
      }
      let target = (issue as { input?: unknown }).input === undefined ? path.slice(0, -1) : path;
      if (target.length === 0) return { pruned };
      const parent = get(copy, target.slice(0, -1));
      if (Array.isArray(parent)) {
        parent.splice(Number(target.at(-1)), 1);
        target = target.slice(0, -1);
        splicedThisRound.push(target);
      } else if (parent && typeof parent === 'object') {
        delete (parent as Record<string, unknown>)[String(target.at(-1))];
      } else return { pruned };
      pruned.push(target);
      changed = true;
    }
    if (!changed) return { pruned };
  }
  return { pruned };
}

export function startsWith(path: ReadonlyArray<string | number>, prefix: ReadonlyArray<string | number>): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => String(p) === String(path[i]));
}

function get(value: unknown, path: Path): unknown {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}
