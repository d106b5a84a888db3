// What both runtimes keep under their driver's state folder, and how it is listed, pruned and swept:
// JSON records written atomically (temporary file, then rename, so a SIGKILL never leaves half a
// record), each environment's checkouts (`checkouts/<env key>/<sha>`, with `builds/` beside them) and
// its job runs' records (`jobs/<env key>/<run id>.json`).
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { environmentKey, ownerLabels, parseEnvironmentKey, type EnvironmentRef, type OwnedResource, type SweepReport } from '@slipway/core';
import { pruneWorktrees } from './git-source.ts';
import { listDir } from './supervision.ts';

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, JSON.stringify(value, null, 2));
  renameSync(temporary, path);
}

export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The paths of the JSON files in a folder, or none when it does not exist (yet). */
export function listJson(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

export function remove(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** The checkouts and job-run records under `stateDir`, each owned by the environment of its folder. */
export function ownedStateFiles(stateDir: string): OwnedResource[] {
  const owned: OwnedResource[] = [];
  for (const key of listDir(join(stateDir, 'checkouts'))) {
    const env = parseEnvironmentKey(key);
    if (!env) continue;
    for (const sha of listDir(join(stateDir, 'checkouts', key))) owned.push({ env, kind: 'checkout', id: join(stateDir, 'checkouts', key, sha), labels: ownerLabels(env) });
  }
  for (const key of listDir(join(stateDir, 'jobs'))) {
    const env = parseEnvironmentKey(key);
    if (!env) continue;
    for (const file of listJson(join(stateDir, 'jobs', key))) {
      owned.push({ env, kind: 'job-run', id: file.slice(file.lastIndexOf('/') + 1, -'.json'.length), labels: ownerLabels(env) });
    }
  }
  return owned;
}

/** Removes everything the state folder holds of an environment: checkouts, build markers, job records, logs. */
export async function removeEnvironmentState(stateDir: string, key: string): Promise<void> {
  for (const folder of ['checkouts', 'builds', 'jobs', 'logs']) remove(join(stateDir, folder, key));
  await pruneWorktrees(join(stateDir, 'repos'));
}

/** Removes an environment's checkouts (and their builds) of commits not in `inUse`. */
export async function pruneStaleCheckouts(stateDir: string, key: string, inUse: Set<string>): Promise<void> {
  const stale = listDir(join(stateDir, 'checkouts', key)).filter((sha) => !inUse.has(sha));
  if (stale.length === 0) return;
  for (const sha of stale) {
    remove(join(stateDir, 'checkouts', key, sha));
    remove(join(stateDir, 'builds', key, sha));
  }
  await pruneWorktrees(join(stateDir, 'repos'));
}

/**
 * Destroys every environment that is not `live` and that the driver still has something of: an
 * owned resource, a runtime it holds (`held`, environment keys) or a log folder under `stateDir`.
 * Reports the owned resources that were removed.
 */
export async function sweepOrphans(
  stateDir: string,
  live: EnvironmentRef[],
  owned: OwnedResource[],
  held: Iterable<string>,
  destroy: (env: EnvironmentRef) => Promise<void>,
): Promise<SweepReport> {
  const liveKeys = new Set(live.map(environmentKey));
  const removed = owned.filter((r) => !liveKeys.has(environmentKey(r.env)));
  const keys = new Set([...removed.map((r) => environmentKey(r.env)), ...[...held].filter((k) => !liveKeys.has(k))]);
  for (const key of [...keys, ...listDir(join(stateDir, 'logs')).filter((k) => !liveKeys.has(k))]) {
    const env = parseEnvironmentKey(key);
    if (env) await destroy(env);
  }
  return { removed };
}
