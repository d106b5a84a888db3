import pc from 'picocolors';
import type { ApplicationResponse } from '@slipway/contract';
import { ApiError, callApi, resolveConnection } from '../api-client.ts';
import { ExitCode, type CommandIO, type OutputFormat } from '../io.ts';
import { readManifestFiles } from '../manifest-files.ts';
import { table } from '../table.ts';

/** Runs an API command, turning its failures into a message on stderr and an exit code. */
async function apiCommand(io: CommandIO, action: () => Promise<void>): Promise<number> {
  try {
    await action();
    return ExitCode.ok;
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    io.err(`${pc.red('error')}   ${e.message}`);
    if (e.kind === 'http' && e.status === 400) return ExitCode.invalid;
    if (e.kind === 'http' && e.status === 404) return ExitCode.notFound;
    return e.kind === 'config' ? ExitCode.usage : ExitCode.failed;
  }
}

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

export async function appsList(options: { output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const { items } = await callApi<{ items: ApplicationResponse[] }>(resolveConnection(), 'GET', '/api/v1/applications');
    if (options.output === 'json') io.out(JSON.stringify(items, null, 2));
    else if (items.length === 0) io.out('no applications yet: register one with `slipway apps create <path>`');
    else io.out(table(['name', 'version', 'tracking branch', 'repository'], items.map((a) => [a.name, a.currentVersion, a.trackingBranch ?? '-', a.repositoryUrl ?? '-'])));
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
