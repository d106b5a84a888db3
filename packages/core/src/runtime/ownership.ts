// Ownership labels: every driver writes the same keys on what it creates (process variables,
// container labels, kubernetes labels), so the server can tell who owns what on any runtime.
import type { EnvironmentRef } from './runtime-driver.ts';

export const LABEL_PREFIX = 'dev.slipway';

export const labelKeys = {
  workspace: `${LABEL_PREFIX}.workspace`,
  app: `${LABEL_PREFIX}.app`,
  env: `${LABEL_PREFIX}.env`,
  service: `${LABEL_PREFIX}.service`,
  specHash: `${LABEL_PREFIX}.spec-hash`,
} as const;

/** The labels of a resource owned by an environment (and one of its services). */
export function ownerLabels(env: EnvironmentRef, service?: string, hash?: string): Record<string, string> {
  return {
    [labelKeys.workspace]: env.workspace,
    [labelKeys.app]: env.app,
    [labelKeys.env]: env.envId,
    ...(service ? { [labelKeys.service]: service } : {}),
    ...(hash ? { [labelKeys.specHash]: hash } : {}),
  };
}

/** Reads the owner back from labels; undefined when they are not Slipway's. */
export function ownerFromLabels(labels: Record<string, string | undefined>): EnvironmentRef | undefined {
  const workspace = labels[labelKeys.workspace];
  const app = labels[labelKeys.app];
  const envId = labels[labelKeys.env];
  return workspace && app && envId ? { workspace, app, envId } : undefined;
}

/**
 * One string per environment, safe as a file name: workspace, application and environment names
 * are DNS labels, which never contain a dot, so joining them with dots is unambiguous.
 */
export function environmentKey(env: EnvironmentRef): string {
  return `${env.workspace}.${env.app}.${env.envId}`;
}

export function parseEnvironmentKey(key: string): EnvironmentRef | undefined {
  const parts = key.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p))) return undefined;
  return { workspace: parts[0]!, app: parts[1]!, envId: parts[2]! };
}

export function sameEnvironment(a: EnvironmentRef, b: EnvironmentRef): boolean {
  return a.workspace === b.workspace && a.app === b.app && a.envId === b.envId;
}
