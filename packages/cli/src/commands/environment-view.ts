import pc from 'picocolors';
import type { DeployResponse, DeployTaskResponse, EnvironmentResponse, EnvironmentStatus, InstanceResponse } from '@slipway/contract';
import { table } from '../table.ts';
import { elapsedBetween, relativeTime } from '../time-format.ts';
import { deployName, taskLabel, urlLines, type Colors } from './deploy-progress.ts';

// How environments, instances and deploys look for people; `-o json` prints the API's answer instead.

export function shortCommit(commit: string | undefined): string {
  return commit ? commit.slice(0, 7) : '-';
}

export function colourStatus(status: EnvironmentStatus | DeployResponse['state'] | DeployTaskResponse['state'] | InstanceResponse['state'], c: Colors = pc): string {
  switch (status) {
    case 'ready':
    case 'succeeded':
      return c.green(status);
    case 'failed':
    case 'errored':
    case 'crash-looping':
    case 'unhealthy':
      return c.red(status);
    case 'deploying':
    case 'running':
    case 'starting':
    case 'queued':
    case 'deleting':
    case 'paused':
      return c.yellow(status);
    default:
      return c.dim(status);
  }
}

export function expiryOf(env: Pick<EnvironmentResponse, 'kind' | 'expiresAt'>, now: Date): string {
  if (env.kind === 'permanent') return 'never (permanent)';
  if (!env.expiresAt) return '-';
  const when = relativeTime(env.expiresAt, now);
  return Date.parse(env.expiresAt) <= now.getTime() ? `expired ${when}` : when;
}

/** The first URL, with how many more there are: a list row has room for one. */
function firstUrl(urls: Record<string, string>): string {
  const all = Object.values(urls);
  if (all.length === 0) return '-';
  return all.length === 1 ? all[0]! : `${all[0]} (+${all.length - 1})`;
}

export function environmentTable(items: readonly EnvironmentResponse[], now: Date, c: Colors = pc): string {
  return table(
    ['id', 'app', 'status', 'branch', 'commit', 'expires', 'url'],
    items.map((e) => [e.id, e.app, colourStatus(e.status, c), e.branch, shortCommit(e.commit), e.kind === 'permanent' ? 'permanent' : expiryOf(e, now), firstUrl(e.urls)]),
  );
}

/** "127.0.0.1:41234 → 80": where an instance's port can be reached on its host. */
export function endpointsOf(instance: Pick<InstanceResponse, 'endpoints'>): string {
  if (instance.endpoints.length === 0) return '-';
  return instance.endpoints.map((e) => (e.hostPort === e.port ? `${e.host}:${e.hostPort}` : `${e.host}:${e.hostPort}→${e.port}`)).join(', ');
}

/** Why an instance is in its state: the driver's message, else its last exit. */
export function instanceMessage(instance: InstanceResponse): string {
  if (instance.message) return instance.message;
  const exit = instance.lastExit;
  if (!exit) return '';
  const how = exit.reason ?? (exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code ?? '?'}`);
  return `last exit: ${how}`;
}

export function instanceTable(items: readonly InstanceResponse[], c: Colors = pc): string {
  return table(
    ['name', 'state', 'restarts', 'endpoints', 'message'],
    items.map((i) => [i.name, colourStatus(i.state, c), String(i.restarts), endpointsOf(i), instanceMessage(i)]),
  );
}

/** `slipway envs get`: the environment's facts, its URLs and its instances. */
/** Who protects an environment, as `envs get` says it. */
function protectedWords(p: NonNullable<EnvironmentResponse['protectedBy']>): string {
  if (p.kind === 'mark') return `marked by ${p.name}${p.reason ? ` (${p.reason})` : ''}`;
  if (p.kind === 'admission') return `by release plan admission ${p.name}`;
  return `by release track ${p.name}${p.stage ? `, stage ${p.stage}` : ''}${p.lane ? ` (${p.lane} lane)` : ''}`;
}

export function environmentDetails(env: EnvironmentResponse, now: Date, c: Colors = pc): string {
  const lines = [`${c.bold(env.id)}  ${env.kind} environment of ${env.app}`];
  const facts: [string, string][] = [
    ['status', `${colourStatus(env.status, c)}${env.reason ? `: ${env.reason}` : ''}`],
    ['branch', env.branch],
    ['commit', shortCommit(env.commit)],
    ['expires', env.kind === 'permanent' ? 'never (permanent)' : env.expiresAt ? `${expiryOf(env, now)} (${env.expiresAt})` : '-'],
    ['template', env.templateVersion],
  ];
  if (env.lastActivityAt) facts.push(['last used', `${relativeTime(env.lastActivityAt, now)} (a deploy or a request)`]);
  if (env.idleTimeout && env.idleExpiresAt) facts.push(['idle timeout', `${env.idleTimeout}: torn down ${relativeTime(env.idleExpiresAt, now)} unless used`]);
  if (env.protectedBy) facts.push(['protected', `${protectedWords(env.protectedBy)}. ${env.protectedBy.change}`]);
  if (env.lastDeploy) facts.push(['last deploy', `${deployName(env.lastDeploy)}: ${colourStatus(env.lastDeploy.state, c)}, ${relativeTime(env.lastDeploy.createdAt, now)} (${env.lastDeploy.id})`]);
  const width = Math.max(...facts.map(([k]) => k.length));
  lines.push(...facts.map(([k, v]) => `  ${`${k}:`.padEnd(width + 1)}  ${v}`));
  const urls = Object.entries(env.urls);
  lines.push('', urls.length ? 'URLs' : 'URLs: none', ...(urls.length ? urlLines(urls) : []));
  if (env.instances) {
    lines.push('', env.instances.length ? instanceTable(env.instances, c) : 'no instances running');
  }
  return lines.join('\n');
}

export function deployTable(items: readonly DeployResponse[], now: Date, c: Colors = pc): string {
  return table(
    ['#', 'id', 'workflow', 'state', 'commit', 'requested', 'by', 'took'],
    items.map((d) => [
      String(d.seq),
      d.id,
      d.workflow,
      colourStatus(d.state, c),
      shortCommit(d.commit),
      relativeTime(d.createdAt, now),
      d.requestedBy ?? '-',
      elapsedBetween(d.startedAt, d.finishedAt) ?? '-',
    ]),
  );
}

/** `slipway deploys get`: the deploy's facts and a table of its tasks. */
export function deployDetails(deploy: DeployResponse, now: Date, c: Colors = pc): string {
  const took = elapsedBetween(deploy.startedAt, deploy.finishedAt);
  const lines = [
    `${c.bold(deployName(deploy))} (${deploy.app})  ${deploy.id}`,
    `  state:     ${colourStatus(deploy.state, c)}${deploy.reason ? `: ${deploy.reason}` : ''}`,
    `  commit:    ${shortCommit(deploy.commit)}`,
    `  requested: ${relativeTime(deploy.createdAt, now)}${deploy.requestedBy ? ` by ${deploy.requestedBy}` : ''}`,
  ];
  if (took) lines.push(`  took:      ${took}`);
  // The docker runtime: the image each built service runs (what snapshots of this commit record).
  const images = Object.entries(deploy.images ?? {});
  if (images.length) lines.push(`  images:    ${images.map(([service, id]) => `${service} ${id.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, '$1')}`).join(', ')}`);
  if (deploy.tasks?.length) {
    lines.push(
      '',
      table(
        ['task', 'state', 'took', 'reason'],
        deploy.tasks.map((t) => [taskLabel(t), colourStatus(t.state, c), elapsedBetween(t.startedAt, t.finishedAt) ?? '-', t.reason ?? '']),
      ),
    );
    const withLogs = deploy.tasks.filter((t) => (t.state === 'failed' || t.state === 'errored') && t.logTail?.trim());
    for (const t of withLogs) lines.push('', c.bold(`log of ${taskLabel(t)}:`), ...t.logTail!.replace(/\n+$/, '').split('\n').map((l) => `  ${l}`));
  }
  return lines.join('\n');
}
