import pc from 'picocolors';
import type { ApplicationSetResponse, ReleaseResponse, ReleaseTrackResponse, SnapshotResponse, TrackViewResponse } from '@slipway/contract';
import { callApi, callApiList, resolveConnection } from '../api-client.ts';
import { ExitCode, type CommandIO, type OutputFormat } from '../io.ts';
import { readManifestFiles } from '../manifest-files.ts';
import { table } from '../table.ts';
import { apiCommand, printJson, segment, usageError } from './api-command.ts';
import { repositoryOf } from './apps.ts';
import { releaseDetails, releaseTable, releaseTitle, snapshotDetails, snapshotTable, stateMark, trackPicture, trackTable } from './release-view.ts';
import { listLimitOf, moreRowsNote, type ListOptions } from '../list-output.ts';

// `slipway sets|tracks|snapshots|releases …`: thin clients of /api/v1/{sets,tracks,snapshots,releases}.

type Output = { output: OutputFormat };

// ---------------------------------------------------------------------------------------------
// Sets and tracks

export type ManifestSource = Output & { path?: string; repo?: string; branch?: string };

/** The body registering manifests: files read from a path, or a repository the server reads. */
export async function manifestSourceBody(options: ManifestSource, io: CommandIO): Promise<Record<string, unknown> | number> {
  if (options.repo !== undefined) {
    const repository = repositoryOf(options.repo);
    if (!repository.value) return usageError(io, repository.error!);
    return { repository: repository.value, ...(options.branch ? { branch: options.branch } : {}) };
  }
  const files = readManifestFiles(options.path!);
  if (!files) return usageError(io, `${options.path}: no such file or folder`);
  if (files.length === 0) return usageError(io, `${options.path}: no YAML files there`);
  return { files };
}

/** `slipway sets create`: registers the ApplicationSets of manifest files or a repository's .slipway/. */
export async function setsCreate(options: ManifestSource, io: CommandIO): Promise<number> {
  const body = await manifestSourceBody(options, io);
  if (typeof body === 'number') return body;
  return apiCommand(io, async () => {
    const answer = await callApi<{ items: ApplicationSetResponse[] }>(resolveConnection(), 'POST', '/api/v1/sets', body);
    if (options.output === 'json') return printJson(io, answer);
    for (const set of answer.items) io.out(`${pc.green('✓')} application set ${pc.bold(set.name)}: ${set.applications.join(', ') || 'no applications yet'}${set.releaseTrack ? `, along track ${set.releaseTrack}` : ''} (version ${set.version})`);
  });
}

export async function setsList(options: ListOptions & Output, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const answer = await callApiList<ApplicationSetResponse>(resolveConnection(), '/api/v1/sets', listLimitOf(options));
    if (options.output === 'json') return printJson(io, answer);
    if (answer.items.length === 0) return void io.out('no application sets yet: register one with `slipway sets create <path>` (or --repo)');
    io.out(table(['name', 'applications', 'track', 'version'], answer.items.map((s) => [s.name, s.applications.join(', ') || '-', s.releaseTrack ?? '-', s.version])));
    moreRowsNote(io, answer.items.length, answer.nextCursor);
  });
}

export async function setsGet(options: Output & { name: string }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const set = await callApi<ApplicationSetResponse>(resolveConnection(), 'GET', `/api/v1/sets/${segment(options.name)}`);
    if (options.output === 'json') return printJson(io, set);
    io.out(`${pc.bold(set.name)}\n  applications: ${set.applications.join(', ') || '-'}\n  track:        ${set.releaseTrack ?? '-'}\n  version:      ${set.version} (from ${set.source})\n  updated:      ${set.updatedAt}`);
  });
}

/** `slipway tracks create`: registers the ReleaseTracks of manifest files or a repository's .slipway/. */
export async function tracksCreate(options: ManifestSource, io: CommandIO): Promise<number> {
  const body = await manifestSourceBody(options, io);
  if (typeof body === 'number') return body;
  return apiCommand(io, async () => {
    const answer = await callApi<{ items: ReleaseTrackResponse[] }>(resolveConnection(), 'POST', '/api/v1/tracks', body);
    if (options.output === 'json') return printJson(io, answer);
    for (const track of answer.items) {
      io.out(`${pc.green('✓')} release track ${pc.bold(track.name)}${track.applicationSet ? ` for set ${track.applicationSet}` : ''}: ${track.releaseStages.map((s) => s.name).join(' → ') || 'no release stages'} (version ${track.version})`);
    }
  });
}

export async function tracksList(options: ListOptions & Output, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const answer = await callApiList<ReleaseTrackResponse>(resolveConnection(), '/api/v1/tracks', listLimitOf(options));
    if (options.output === 'json') return printJson(io, answer);
    if (answer.items.length === 0) return void io.out('no release tracks yet: register one with `slipway tracks create <path>` (or --repo)');
    io.out(trackTable(answer.items));
    moreRowsNote(io, answer.items.length, answer.nextCursor);
  });
}

/** `slipway tracks get`: the track stage by stage, with where each release stands. */
export async function tracksGet(options: Output & { name: string }, io: CommandIO, now = new Date()): Promise<number> {
  return apiCommand(io, async () => {
    const view = await callApi<TrackViewResponse>(resolveConnection(), 'GET', `/api/v1/tracks/${segment(options.name)}/view`);
    if (options.output === 'json') return printJson(io, view);
    io.out(trackPicture(view, now));
  });
}

// ---------------------------------------------------------------------------------------------
// Snapshots

/** `app=value` pairs of a repeatable option, as an object; a usage error names a malformed one. */
export function pairsOf(values: string[] | undefined, what: string): Record<string, string> | string {
  const result: Record<string, string> = {};
  for (const value of values ?? []) {
    const match = /^([a-z0-9][-a-z0-9]*)=(.+)$/.exec(value);
    if (!match) return `--${what} ${value}: expected <application>=<${what === 'pin' ? 'commit' : 'branch'}>, such as web=${what === 'pin' ? '0123abc' : 'hotfix/login'}`;
    result[match[1]!] = match[2]!;
  }
  return result;
}

export async function snapshotsCreate(
  options: Output & { set: string; use?: string[]; pin?: string[]; app?: string; branch?: string; pr?: number },
  io: CommandIO,
): Promise<number> {
  let body: Record<string, unknown>;
  if (options.app !== undefined) {
    if ((options.branch === undefined) === (options.pr === undefined)) return usageError(io, 'a pre-release snapshot (--app) takes exactly one of --branch <branch> or --pr <number>');
    if (options.use?.length || options.pin?.length) return usageError(io, '--use and --pin make a release snapshot; a pre-release (--app) takes --branch or --pr');
    body = { set: options.set, kind: 'pre-release', app: options.app, ...(options.branch ? { branch: options.branch } : {}), ...(options.pr !== undefined ? { pullRequest: options.pr } : {}) };
  } else {
    if (options.branch !== undefined || options.pr !== undefined) return usageError(io, '--branch and --pr go with --app (a pre-release of one application); for a release use --use <app>=<branch>');
    const branches = pairsOf(options.use, 'use');
    if (typeof branches === 'string') return usageError(io, branches);
    const commits = pairsOf(options.pin, 'pin');
    if (typeof commits === 'string') return usageError(io, commits);
    body = { set: options.set, ...(Object.keys(branches).length ? { branches } : {}), ...(Object.keys(commits).length ? { commits } : {}) };
  }
  return apiCommand(io, async () => {
    const snapshot = await callApi<SnapshotResponse>(resolveConnection(), 'POST', '/api/v1/snapshots', body);
    if (options.output === 'json') return printJson(io, snapshot);
    io.out(`${pc.green('✓')} snapshot ${pc.bold(snapshot.alias)} of ${snapshot.set}: ${snapshot.components.map((c) => `${c.app}@${c.commit.slice(0, 7)}`).join(', ')}`);
    io.out(`  release it: slipway releases create ${snapshot.alias}${snapshot.kind === 'release' ? ' [--hotfix]' : ''}`);
  });
}

export async function snapshotsList(options: ListOptions & Output & { set?: string }, io: CommandIO, now = new Date()): Promise<number> {
  return apiCommand(io, async () => {
    const answer = await callApiList<SnapshotResponse>(resolveConnection(), `/api/v1/snapshots${options.set ? `?set=${segment(options.set)}` : ''}`, listLimitOf(options));
    if (options.output === 'json') return printJson(io, answer);
    if (answer.items.length === 0) return void io.out('no snapshots yet: make one with `slipway snapshots create <set>`');
    io.out(snapshotTable(answer.items, now));
    moreRowsNote(io, answer.items.length, answer.nextCursor);
  });
}

export async function snapshotsGet(options: Output & { ref: string }, io: CommandIO, now = new Date()): Promise<number> {
  return apiCommand(io, async () => {
    const snapshot = await callApi<SnapshotResponse>(resolveConnection(), 'GET', `/api/v1/snapshots/${segment(options.ref)}`);
    if (options.output === 'json') return printJson(io, snapshot);
    io.out(snapshotDetails(snapshot, now));
  });
}

// ---------------------------------------------------------------------------------------------
// Releases

/** What a release does now, in one line after an action. */
function whereItStands(release: ReleaseResponse): string {
  const stage = release.currentStage !== undefined ? release.stages[release.currentStage] : undefined;
  const where = stage ? ` in ${stage.name}` : '';
  const waiting = stage?.waitingFor ?? (release.state !== 'Promoted' ? release.reason : undefined);
  return `  ${stateMark(release.state)}${where}${waiting ? ` — ${waiting}` : ''}\n  follow it: slipway releases get ${release.number}`;
}

export async function releasesCreate(options: Output & { snapshot: string; hotfix?: boolean; track?: string }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const release = await callApi<ReleaseResponse>(resolveConnection(), 'POST', '/api/v1/releases', { snapshot: options.snapshot, ...(options.hotfix ? { hotfix: true } : {}), ...(options.track ? { track: options.track } : {}) });
    if (options.output === 'json') return printJson(io, release);
    io.out(`${pc.green('✓')} ${releaseTitle(release)}: ${release.stages.map((s) => s.name).join(' → ')}`);
    io.out(whereItStands(release));
  });
}

export async function releasesList(options: ListOptions & Output & { track?: string; active?: boolean }, io: CommandIO, now = new Date()): Promise<number> {
  return apiCommand(io, async () => {
    const query = new URLSearchParams({ ...(options.track ? { track: options.track } : {}), ...(options.active ? { active: 'true' } : {}) }).toString();
    const answer = await callApiList<ReleaseResponse>(resolveConnection(), `/api/v1/releases${query ? `?${query}` : ''}`, listLimitOf(options));
    if (options.output === 'json') return printJson(io, answer);
    if (answer.items.length === 0) return void io.out('no releases yet: release a snapshot with `slipway releases create <snapshot>`');
    io.out(releaseTable(answer.items, now));
    moreRowsNote(io, answer.items.length, answer.nextCursor);
  });
}

export async function releasesGet(options: Output & { ref: string }, io: CommandIO, now = new Date()): Promise<number> {
  return apiCommand(io, async () => {
    const release = await callApi<ReleaseResponse>(resolveConnection(), 'GET', `/api/v1/releases/${segment(options.ref)}`);
    if (options.output === 'json') return printJson(io, release);
    io.out(releaseDetails(release, now));
  });
}

type ReleaseAction = 'approve' | 'reject' | 'promote' | 'abort' | 'rollback';
const done: Record<ReleaseAction, string> = { approve: 'approved', reject: 'rejected', promote: 'promoted', abort: 'aborted', rollback: 'rolling back' };

/** `slipway releases approve|reject|promote|abort|rollback`: the action, then where the release stands. */
export async function releasesAct(options: Output & { ref: string; action: ReleaseAction; comment?: string; reason?: string; stage?: string }, io: CommandIO): Promise<number> {
  if (options.action === 'reject' && !options.reason) return usageError(io, 'a rejection needs a --reason: it is kept with the release');
  const body = {
    ...(options.comment ? { comment: options.comment } : {}),
    ...(options.reason ? { reason: options.reason } : {}),
    ...(options.stage ? { stage: options.stage } : {}),
  };
  return apiCommand(io, async () => {
    const release = await callApi<ReleaseResponse>(resolveConnection(), 'POST', `/api/v1/releases/${segment(options.ref)}/${options.action}`, body);
    if (options.output === 'json') return printJson(io, release);
    if (options.action === 'rollback') {
      io.out(`${pc.green('✓')} ${releaseTitle(release)}`);
      io.out(`  ${release.stages.map((s) => s.name).join(', ')} is held: releases enter it again only when promoted deliberately (slipway releases promote <n>)`);
    } else io.out(`${pc.green('✓')} release #${release.number} ${done[options.action]}`);
    io.out(whereItStands(release));
    return ['Failed', 'Errored'].includes(release.state) && options.action !== 'abort' ? ExitCode.deployFailed : ExitCode.ok;
  });
}
