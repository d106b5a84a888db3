import type { RenderedEnvironment, ResolvedEnvValue, SecretRef } from '@slipway/contract';
import { secretKey, type SecretValues } from '@slipway/core';

/** Clear value of a workspace's secret, for injection only. */
export type RevealSecret = (workspace: string, name: string) => Promise<string | undefined>;

/**
 * Every secret the environment's services, sidecars and jobs reference, resolved; throws an error
 * naming each one that is missing (or whose key is not in it) and how to set it.
 */
export async function secretsOf(reveal: RevealSecret, workspace: string, rendered: RenderedEnvironment): Promise<SecretValues> {
  const refs = new Map<string, SecretRef>();
  const collect = (env: Record<string, ResolvedEnvValue>) => {
    for (const value of Object.values(env)) if (typeof value === 'object') refs.set(secretKey(value), value);
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
