import { datasetVariableParts, type RenderedEnvironment, type ResolvedEnvValue, type SecretRef } from '@slipway/contract';
import { datasetOfSecretRef, datasetSecretRef, secretKey, type SecretValues } from '@slipway/core';
import type { StoredEnvironment } from '../store/environments.ts';

/** Clear value of a workspace's secret, for injection only. */
export type RevealSecret = (workspace: string, name: string) => Promise<string | undefined>;

/** What a deploy asks of the dataset pools (datasets/dataset-pools.ts); a deploy without datasets never calls them. */
export interface EnvironmentDatasets {
  /** The environment's clones, taken before its services start: their connection variables, or why they cannot be had. */
  attach(env: StoredEnvironment, rendered: RenderedEnvironment, log: (line: string) => void): Promise<{ values: SecretValues } | { reason: string }>;
  /** Drops the environment's clones at its teardown; how many. */
  release(environmentId: string): Promise<number>;
}

/**
 * The connection variables of the environment's dataset clones; throws when a dataset it must have
 * cannot be had. Without a dataset server, optional datasets' variables are empty.
 */
export async function datasetValuesOf(datasets: EnvironmentDatasets | undefined, env: StoredEnvironment, rendered: RenderedEnvironment, log: (line: string) => void): Promise<SecretValues> {
  if (rendered.datasets.length === 0) return {};
  if (!datasets) {
    const needed = rendered.datasets.filter((d) => !d.optional).map((d) => d.name);
    if (needed.length) throw new Error(`datasets ${needed.join(', ')} need a dataset server, and this server has none (set SLIPWAY_DATASET_DATABASE_URL)`);
    log(`! datasets · this server has no dataset server (SLIPWAY_DATASET_DATABASE_URL); the optional datasets are left out`);
    return Object.fromEntries(rendered.datasets.flatMap((d) => datasetVariableParts.map((part) => [secretKey(datasetSecretRef(d.name, part)), ''])));
  }
  const attached = await datasets.attach(env, rendered, log);
  if ('reason' in attached) throw new Error(attached.reason);
  return attached.values;
}

/**
 * Every secret the environment's services, sidecars and jobs reference, resolved; throws an error
 * naming each one that is missing (or whose key is not in it) and how to set it.
 */
export async function secretsOf(reveal: RevealSecret, workspace: string, rendered: RenderedEnvironment): Promise<SecretValues> {
  const refs = new Map<string, SecretRef>();
  const collect = (env: Record<string, ResolvedEnvValue>) => {
    // A dataset's variables are the environment's clone's (datasetValuesOf), not the workspace's secrets.
    for (const value of Object.values(env)) if (typeof value === 'object' && datasetOfSecretRef(value) === undefined) refs.set(secretKey(value), value);
  };
  for (const s of rendered.services) {
    collect(s.env);
    for (const side of s.sidecars) collect((side.env ?? {}) as Record<string, ResolvedEnvValue>);
  }
  for (const j of rendered.jobs) collect(j.env);
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const [key, ref] of refs) {
    const value = await reveal(workspace, ref.secret);
    if (value === undefined) {
      missing.push(ref.secret);
      continue;
    }
    if (!ref.key) {
      values[key] = value;
      continue;
    }
    const field = fieldOf(value, ref.key);
    if (field === undefined) missing.push(`${ref.secret} (key ${ref.key}: the secret must be a JSON object with that key)`);
    else values[key] = field;
  }
  if (missing.length) {
    const names = [...new Set(missing)];
    throw new Error(`secret${names.length > 1 ? 's' : ''} not set in workspace ${workspace}: ${names.join(', ')}; set with \`slipway secrets set <name>\``);
  }
  return values;
}

/** The string at `key` of a secret that holds a JSON object; undefined when it holds none there. */
function fieldOf(value: string, key: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  const field = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>)[key] : undefined;
  return typeof field === 'string' ? field : undefined;
}
