import pc from 'picocolors';
import type { ManagedReleaseResponse, ReleasePlanAdmissionResponse, ReleasePlanResponse } from '@slipway/contract';
import { callApi, callApiList, resolveConnection } from '../api-client.ts';
import { ExitCode, type CommandIO, type OutputFormat } from '../io.ts';
import { table } from '../table.ts';
import { relativeTime } from '../time-format.ts';
import { apiCommand, printJson, segment, usageError } from './api-command.ts';
import { stateMark } from './release-view.ts';
import { manifestSourceBody, type ManifestSource } from './releases.ts';
import { listLimitOf, moreRowsNote, type ListOptions } from '../list-output.ts';

// `slipway plans|admissions|managed-releases …`: releasing into a managed workspace (docs/releases.md#managed-workspaces).

type Output = { output: OutputFormat };

export async function plansCreate(options: ManifestSource, io: CommandIO): Promise<number> {
  const body = await manifestSourceBody(options, io);
  if (typeof body === 'number') return body;
  return apiCommand(io, async () => {
    const answer = await callApi<{ items: ReleasePlanResponse[] }>(resolveConnection(), 'POST', '/api/v1/release-plans', body);
    if (options.output === 'json') return printJson(io, answer);
    for (const plan of answer.items) io.out(`${pc.green('✓')} release plan ${pc.bold(plan.name)}: ${plan.applicationSet ? `set ${plan.applicationSet}` : `application ${plan.application}`} into workspace ${plan.target}${plan.autoRelease ? ', automatically after each release through its track' : ''}`);
  });
}

export async function plansList(options: ListOptions & Output, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const answer = await callApiList<ReleasePlanResponse>(resolveConnection(), '/api/v1/release-plans', listLimitOf(options));
    if (options.output === 'json') return printJson(io, answer);
    if (answer.items.length === 0) return void io.out('no release plans yet: register one with `slipway plans create <path>`');
    io.out(table(['name', 'releases', 'into', 'auto'], answer.items.map((p) => [p.name, p.applicationSet ? `set ${p.applicationSet}` : `application ${p.application}`, p.target, p.autoRelease ? 'yes' : 'no'])));
    moreRowsNote(io, answer.items.length, answer.nextCursor);
  });
}

export async function admissionsCreate(options: ManifestSource, io: CommandIO): Promise<number> {
  const body = await manifestSourceBody(options, io);
  if (typeof body === 'number') return body;
  return apiCommand(io, async () => {
    const answer = await callApi<{ items: ReleasePlanAdmissionResponse[] }>(resolveConnection(), 'POST', '/api/v1/release-plan-admissions', body);
    if (options.output === 'json') return printJson(io, answer);
    for (const a of answer.items) {
      io.out(`${pc.green('✓')} admission ${pc.bold(a.name)}${a.block ? pc.yellow(' (blocked)') : ''}: accepts ${a.origins.map((o) => `${o.applications.join(', ')} from ${o.workspace}`).join('; ')}; runs ${a.steps.map((s) => s.name).join(' → ')}`);
    }
  });
}

export async function admissionsList(options: ListOptions & Output, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const answer = await callApiList<ReleasePlanAdmissionResponse>(resolveConnection(), '/api/v1/release-plan-admissions', listLimitOf(options));
    if (options.output === 'json') return printJson(io, answer);
    if (answer.items.length === 0) return void io.out('no admissions yet: register one with `slipway admissions create <path>`');
    io.out(
      table(
        ['name', 'accepts', 'steps', 'secrets', 'blocked'],
        answer.items.map((a) => [a.name, a.origins.map((o) => `${o.applications.join(', ')} from ${o.workspace}`).join('; '), a.steps.map((s) => s.name).join(' → '), a.secrets.join(', ') || '-', a.block ? 'yes' : 'no']),
      ),
    );
    moreRowsNote(io, answer.items.length, answer.nextCursor);
  });
}

/** `key=value` pairs of --data, as an object (values stay text). */
export function dataOf(values: string[] | undefined): Record<string, string> | string {
  const data: Record<string, string> = {};
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    if (eq < 1) return `--data ${value}: expected <key>=<value>, such as version=1.4.2`;
    data[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return data;
}

function managedDetails(r: ManagedReleaseResponse, now: Date): string {
  const lines = [
    `${pc.bold(`managed release #${r.number}`)} · ${r.snapshot.alias} from ${r.origin} into ${r.target} under plan ${r.plan}, admitted by ${r.admission} · by ${r.author}`,
    `  state: ${stateMark(r.state)}${r.reason ? ` — ${r.reason}` : ''}`,
  ];
  if (r.policy.length) lines.push('', pc.bold('policy'), ...r.policy.map((p) => `  ${p.passed ? pc.green('✓') : pc.red('✗')} ${p.rule}: ${p.message}`));
  lines.push(
    '',
    table(
      ['step', 'state', 'took', 'why'],
      r.steps.map((s) => [s.name, s.state, s.startedAt && s.finishedAt ? `${((Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000).toFixed(1)}s` : '-', s.reason ?? '']),
    ),
  );
  const failed = r.steps.find((s) => (s.state === 'failed' || s.state === 'errored') && s.logTail);
  if (failed) lines.push('', pc.bold(`${failed.name}: end of its log`), failed.logTail!.trimEnd());
  if (Object.keys(r.data).length) lines.push('', `data: ${JSON.stringify(r.data)}`);
  if (r.transitions?.length) {
    lines.push('', pc.bold('transitions'));
    lines.push(table(['at', 'move', 'by', 'why'], r.transitions.map((t) => [relativeTime(t.at, now), `${t.from ? `${t.from} → ` : '→ '}${t.to}`, t.actor, t.reason])));
  }
  return lines.join('\n');
}

export async function managedReleasesCreate(options: Output & { snapshot: string; plan: string; data?: string[] }, io: CommandIO, now = new Date()): Promise<number> {
  const data = dataOf(options.data);
  if (typeof data === 'string') return usageError(io, data);
  return apiCommand(io, async () => {
    const release = await callApi<ManagedReleaseResponse>(resolveConnection(), 'POST', '/api/v1/managed-releases', { plan: options.plan, snapshot: options.snapshot, ...(Object.keys(data).length ? { data } : {}) });
    if (options.output === 'json') return printJson(io, release);
    io.out(`${pc.green('✓')} ${managedDetails(release, now)}`);
    io.out(`  follow it: slipway managed-releases get ${release.number}`);
    return release.state === 'Failed' || release.state === 'Errored' ? ExitCode.deployFailed : ExitCode.ok;
  });
}

export async function managedReleasesList(options: ListOptions & Output, io: CommandIO, now = new Date()): Promise<number> {
  return apiCommand(io, async () => {
    const answer = await callApiList<ManagedReleaseResponse>(resolveConnection(), '/api/v1/managed-releases', listLimitOf(options));
    if (options.output === 'json') return printJson(io, answer);
    if (answer.items.length === 0) return void io.out('no managed releases yet: release a snapshot with `slipway managed-releases create <snapshot> --plan <plan>`');
    io.out(table(['#', 'from', 'into', 'plan', 'snapshot', 'state', 'author', 'created'], answer.items.map((r) => [String(r.number), r.origin, r.target, r.plan, r.snapshot.alias, stateMark(r.state), r.author, relativeTime(r.createdAt, now)])));
    moreRowsNote(io, answer.items.length, answer.nextCursor);
  });
}

export async function managedReleasesGet(options: Output & { ref: string }, io: CommandIO, now = new Date()): Promise<number> {
  return apiCommand(io, async () => {
    const release = await callApi<ManagedReleaseResponse>(resolveConnection(), 'GET', `/api/v1/managed-releases/${segment(options.ref)}`);
    if (options.output === 'json') return printJson(io, release);
    io.out(managedDetails(release, now));
  });
}
