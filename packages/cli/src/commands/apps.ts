import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import pc from 'picocolors';
import type { ApplicationResponse } from '@slipway/contract';
import { callApi, callApiList, resolveConnection } from '../api-client.ts';
import { ExitCode, type CommandIO, type OutputFormat } from '../io.ts';
import { readManifestFiles } from '../manifest-files.ts';
import { table } from '../table.ts';
import { apiCommand, usageError } from './api-command.ts';
import { listLimitOf, moreRowsNote, type ListOptions } from '../list-output.ts';

/** `slipway apps create <path>`: registers an application from its manifest (a file, or a folder's .slipway/). */
export async function appsCreate(options: { path: string; output: OutputFormat }, io: CommandIO): Promise<number> {
  const texts = readManifestFiles(options.path);
  if (!texts) {
    io.err(`${pc.red('error')}   ${options.path}: no such file or folder`);
    return ExitCode.usage;
  }
  const withApp = texts.filter((t) => /^kind:\s*Application\s*$/m.test(t.text));
  if (withApp.length !== 1) {
    io.err(`${pc.red('error')}   ${options.path}: expected one file with an Application manifest, found ${withApp.length}${withApp.length ? ` (${withApp.map((t) => t.file).join(', ')}); name the file` : ''}`);
    return ExitCode.usage;
  }
  return apiCommand(io, async () => {
    const app = await callApi<ApplicationResponse>(resolveConnection(), 'POST', '/api/v1/applications', { manifest: withApp[0]!.text, file: withApp[0]!.file });
    if (options.output === 'json') io.out(JSON.stringify(app, null, 2));
    else io.out(`${pc.green('✓')} application ${pc.bold(app.name)} at template version ${app.currentVersion}`);
  });
}

/**
 * What to send as `repository`: a git URL as given; a folder on this machine as its absolute path
 * (the server reads it, so this suits a server on the same machine). Anything else is a usage error.
 */
export function repositoryOf(given: string, cwd: string = process.cwd()): { value?: string; error?: string } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given) || /^[\w.-]+@[\w.-]+:/.test(given)) return { value: given };
  const path = resolve(cwd, given);
  if (existsSync(path)) return { value: path };
  return { error: `${given}: no such folder, and not a git URL (such as https://github.com/org/repo.git or git@github.com:org/repo.git)` };
}

/**
 * `slipway apps create --repo`: registers an application from the `.slipway/` folder (or the folder
 * `path` names, such as .slipway-docker) of a git repository at a branch's head.
 */
export async function appsCreateFromRepository(options: { repository: string; branch?: string; path?: string; output: OutputFormat }, io: CommandIO): Promise<number> {
  const repository = repositoryOf(options.repository);
  if (!repository.value) return usageError(io, repository.error!);
  return apiCommand(io, async () => {
    const body = { repository: repository.value, ...(options.branch ? { branch: options.branch } : {}), ...(options.path ? { path: options.path } : {}) };
    const app = await callApi<ApplicationResponse>(resolveConnection(), 'POST', '/api/v1/applications', body);
    if (options.output === 'json') io.out(JSON.stringify(app, null, 2));
    else io.out(`${pc.green('✓')} application ${pc.bold(app.name)} at template version ${app.currentVersion}, from ${app.repositoryUrl ?? repository.value}${app.trackingBranch ? ` (tracking ${app.trackingBranch})` : ''}`);
  });
}

export async function appsList(options: ListOptions & { output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const { items, nextCursor } = await callApiList<ApplicationResponse>(resolveConnection(), '/api/v1/applications', listLimitOf(options));
    if (options.output === 'json') io.out(JSON.stringify(items, null, 2));
    else if (items.length === 0) io.out('no applications yet: register one with `slipway apps create <path>`');
    else {
      io.out(table(['name', 'version', 'tracking branch', 'repository'], items.map((a) => [a.name, a.currentVersion, a.trackingBranch ?? '-', a.repositoryUrl ?? '-'])));
      moreRowsNote(io, items.length, nextCursor);
    }
  });
}

export async function appsGet(options: { name: string; output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const app = await callApi<ApplicationResponse>(resolveConnection(), 'GET', `/api/v1/applications/${encodeURIComponent(options.name)}`);
    if (options.output === 'json') {
      io.out(JSON.stringify(app, null, 2));
      return;
    }
    io.out(`${pc.bold(app.name)} (workspace ${app.workspace})\n  current version: ${app.currentVersion}\n  tracking branch: ${app.trackingBranch ?? '-'}\n  repository: ${app.repositoryUrl ?? '-'}`);
    if (app.versions?.length) io.out(`\n${table(['version', 'source', 'created'], app.versions.map((v) => [v.version, v.source, v.createdAt]))}`);
  });
}
