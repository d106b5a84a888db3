import pc from 'picocolors';
import type { DeployResponse } from '@slipway/contract';
import { breakGlassQuery, callApi, callApiList, resolveConnection } from '../api-client.ts';
import { ExitCode, type CommandIO, type OutputFormat } from '../io.ts';
import { apiCommand, printJson, segment } from './api-command.ts';
import { deployName } from './deploy-progress.ts';
import { deployDetails, deployTable } from './environment-view.ts';
import { streamDeployLog, waitForDeploy } from './wait-for-deploy.ts';
import { listLimitOf, moreRowsNote, type ListOptions } from '../list-output.ts';

/** `slipway deploys create`: a patch deploy of a new commit (the branch's head when absent). */
export async function deploysCreate(options: { env: string; commit?: string; wait?: boolean; logs?: boolean; breakGlass?: string; output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const connection = resolveConnection();
    const deploy = await callApi<DeployResponse>(connection, 'POST', `/api/v1/environments/${segment(options.env)}/deploys${breakGlassQuery(options.breakGlass)}`, options.commit ? { commit: options.commit } : {});
    if (!options.wait) {
      if (options.output === 'json') printJson(io, deploy);
      else io.out(`${pc.green('✓')} ${deployName(deploy)} queued${deploy.commit ? ` (commit ${deploy.commit.slice(0, 7)})` : ''}\n  follow it: slipway deploys get ${deploy.id} --wait`);
      return ExitCode.ok;
    }
    if (options.output !== 'json') io.out(`${pc.green('✓')} ${deployName(deploy)} queued`);
    const result = await waitForDeploy(connection, deploy.id, io, options.output, { logs: options.logs === true });
    if (options.output === 'json') printJson(io, result.deploy);
    return result.exitCode;
  });
}

export async function deploysList(options: ListOptions & { env: string; output: OutputFormat }, io: CommandIO, now = new Date()): Promise<number> {
  return apiCommand(io, async () => {
    const answer = await callApiList<DeployResponse>(resolveConnection(), `/api/v1/environments/${segment(options.env)}/deploys`, listLimitOf(options));
    if (options.output === 'json') printJson(io, answer);
    else if (answer.items.length === 0) io.out(`no deploys of ${options.env} yet`);
    else {
      io.out(deployTable(answer.items, now));
      moreRowsNote(io, answer.items.length, answer.nextCursor);
    }
  });
}

/**
 * `slipway deploys get`: a deploy and its tasks; with --wait, its live timeline until it ends
 * (exit 5 when it failed), which is how a deploy queued without --wait is followed.
 */
export async function deploysGet(options: { id: string; wait?: boolean; logs?: boolean; output: OutputFormat }, io: CommandIO, now = new Date()): Promise<number> {
  return apiCommand(io, async () => {
    const connection = resolveConnection();
    if (options.wait) {
      const result = await waitForDeploy(connection, options.id, io, options.output, { logs: options.logs === true });
      if (options.output === 'json') printJson(io, result.deploy);
      return result.exitCode;
    }
    const deploy = await callApi<DeployResponse>(connection, 'GET', `/api/v1/deploys/${segment(options.id)}`);
    if (options.output === 'json') printJson(io, deploy);
    else io.out(deployDetails(deploy, now));
  });
}

/**
 * `slipway deploys logs`: a deploy's log (a line as each task starts and ends, and the build and job
 * output). With --follow it streams new lines until the deploy ends, or until `stop` aborts (Ctrl-C).
 */
export async function deploysLogs(options: { id: string; follow?: boolean }, io: CommandIO, stop?: AbortSignal): Promise<number> {
  return apiCommand(io, async () => {
    await streamDeployLog(resolveConnection(), options.id, { follow: options.follow === true, print: (line) => io.out(line), ...(stop ? { signal: stop } : {}) });
    return ExitCode.ok;
  });
}
