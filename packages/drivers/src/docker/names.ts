// Names and labels of what the docker runtime creates. The engine is the driver's record: every
// container, network and volume carries core's ownership labels plus the driver's own, so a driver
// started later (after close() or a crash) finds, adopts or sweeps everything from labels alone.
// Names carry the driver's tag (a hash of its state folder), so two servers, or two test runs, on
// one engine never touch each other's resources.
import type { ResolvedService } from '@slipway/contract';
import { LABEL_PREFIX, environmentKey, ownerLabels, type EnvironmentRef, type ExitInfo } from '@slipway/core';

export const dockerLabels = {
  /** The driver that made the resource: a hash of its state folder. */
  driver: `${LABEL_PREFIX}.driver`,
  /** main | sidecar | init | job */
  role: `${LABEL_PREFIX}.role`,
  replica: `${LABEL_PREFIX}.replica`,
  /** Name of the sidecar or init step. */
  container: `${LABEL_PREFIX}.container`,
  /** Main containers: manifest port → host port, "3000:41234,3001:41235". */
  ports: `${LABEL_PREFIX}.ports`,
  /** Main containers: restarts before this container was made. */
  restarts: `${LABEL_PREFIX}.restarts`,
  /** Main containers: the exit that caused the last restart (ExitInfo as JSON). */
  lastExit: `${LABEL_PREFIX}.last-exit`,
  /** The service spec (secret references, never values) as JSON, so a later driver can supervise it. */
  spec: `${LABEL_PREFIX}.spec`,
  commit: `${LABEL_PREFIX}.commit`,
  runId: `${LABEL_PREFIX}.run-id`,
  job: `${LABEL_PREFIX}.job`,
  /** Jobs: when the run must be stopped (ms since the epoch). */
  deadline: `${LABEL_PREFIX}.deadline`,
  /** Images: hash of what an image was built from (context tree, Dockerfile, args, target). */
  buildHash: `${LABEL_PREFIX}.build-hash`,
  volume: `${LABEL_PREFIX}.volume`,
  /** Networks: `imports` on the network an importing environment shares with its App Imports. */
  network: `${LABEL_PREFIX}.network`,
} as const;

export type ContainerRole = 'main' | 'sidecar' | 'init' | 'job';

/** Everything of an environment starts with this name. */
export function envPrefix(tag: string, env: EnvironmentRef): string {
  return `slipway.${tag}.${environmentKey(env)}`;
}

export function networkName(tag: string, env: EnvironmentRef): string {
  return envPrefix(tag, env);
}

/** The network an importing environment shares with the environments it imports (App Imports). */
export function linkNetworkName(tag: string, env: EnvironmentRef): string {
  return `${envPrefix(tag, env)}.imports`;
}

/**
 * The names each member's services answer to on a link network: `<service>.<app>` always, and the
 * bare `<service>` when no other member has a service of that name — a container that resolves a
 * name two members share must get its own environment's service (from its own network), never
 * the other's, so a shared name is left to each environment's own network.
 */
export function linkAliases(members: { env: EnvironmentRef; services: string[] }[]): Record<string, string[]>[] {
  return members.map((member) =>
    Object.fromEntries(
      member.services.map((service) => {
        const shared = members.filter((m) => m.services.includes(service)).length > 1;
        return [service, shared ? [`${service}.${member.env.app}`] : [service, `${service}.${member.env.app}`]];
      }),
    ),
  );
}

export function volumeName(tag: string, env: EnvironmentRef, volume: string): string {
  return `${envPrefix(tag, env)}.${volume}`;
}

export function containerName(tag: string, env: EnvironmentRef, service: string, replica: number, role: ContainerRole, name?: string): string {
  const instance = `${envPrefix(tag, env)}.${service}-${replica}`;
  if (role === 'main') return instance;
  return `${instance}.${role}.${name ?? ''}`;
}

export function jobContainerName(tag: string, env: EnvironmentRef, runId: string): string {
  return `${envPrefix(tag, env)}.job.${runId}`;
}

/** Labels of a container of a service's instance. */
export function instanceLabels(
  tag: string,
  env: EnvironmentRef,
  spec: ResolvedService,
  hash: string,
  replica: number,
  role: ContainerRole,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...ownerLabels(env, spec.name, hash),
    [dockerLabels.driver]: tag,
    [dockerLabels.role]: role,
    [dockerLabels.replica]: String(replica),
    [dockerLabels.spec]: JSON.stringify(spec),
    ...extra,
  };
}

export function envLabels(tag: string, env: EnvironmentRef): Record<string, string> {
  return { ...ownerLabels(env), [dockerLabels.driver]: tag };
}

export function formatPorts(endpoints: { port: number; hostPort: number }[]): string {
  return endpoints.map((e) => `${e.port}:${e.hostPort}`).join(',');
}

export function parsePorts(text: string | undefined): { port: number; hostPort: number }[] {
  if (!text) return [];
  return text.split(',').flatMap((pair) => {
    const [port, hostPort] = pair.split(':').map(Number);
    return port && hostPort ? [{ port, hostPort }] : [];
  });
}

export function parseExit(text: string | undefined): ExitInfo | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as ExitInfo;
  } catch {
    return undefined;
  }
}

/**
 * Whether labels hold every "key=value" of `required`. The engine's own label filters are not
 * trusted beyond one label: Podman 4 answers a volume or image list filtered by several labels with
 * what matches any of them, so lists are filtered by the driver's label there and by the rest here.
 */
export function hasLabels(labels: Record<string, string> | null | undefined, required: string[]): boolean {
  return required.every((pair) => {
    const at = pair.indexOf('=');
    return labels?.[pair.slice(0, at)] === pair.slice(at + 1);
  });
}
