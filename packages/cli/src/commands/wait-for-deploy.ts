import type { CliConfig, DeployResponse, DeployTaskResponse, EnvironmentResponse } from '@slipway/contract';
import { ApiError, callApi, streamApi } from '../api-client.ts';
import { ExitCode, type CommandIO, type OutputFormat } from '../io.ts';
import { segment } from './api-command.ts';
import { deploySummary, isFinished, progressLines, type Colors } from './deploy-progress.ts';

export interface DeployPoller {
  getDeploy(id: string): Promise<DeployResponse>;
  /** Prints one timeline line. */
  print(line: string): void;
  intervalMs?: number;
  /** How long the API may stay unreachable (a server restarting) before waiting gives up. */
  patienceMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  colors?: Colors;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls a deploy until it finishes, printing each task's transition as it happens. Deploys are
 * durable on the server, so a short outage of the API (a restart) is waited out rather than fatal.
 */
export async function pollDeploy(deployId: string, poller: DeployPoller): Promise<DeployResponse> {
  const { intervalMs = 500, patienceMs = 60_000, sleep = sleepFor, now = Date.now, colors } = poller;
  let previous: readonly DeployTaskResponse[] = [];
  let saidQueued = false;
  let unreachableSince: number | undefined;
  for (;;) {
    let deploy: DeployResponse;
    const asked = now();
    try {
      deploy = await poller.getDeploy(deployId);
    } catch (e) {
      if (!(e instanceof ApiError) || e.kind !== 'unreachable') throw e;
      if (unreachableSince === undefined) {
        unreachableSince = now();
        poller.print(`  … ${e.message}; trying again (the deploy goes on without us)`);
      } else if (now() - unreachableSince > patienceMs) throw e;
      await sleep(intervalMs * 2);
      continue;
    }
    if (unreachableSince !== undefined) {
      poller.print('  … reached the API again');
      unreachableSince = undefined;
    }
    if (deploy.state === 'queued' && !saidQueued) {
      poller.print(`  … queued: waiting for the deploy to start (an environment runs one deploy at a time)`);
      saidQueued = true;
    }
    for (const line of progressLines(previous, deploy, colors)) poller.print(line);
    previous = deploy.tasks ?? [];
    if (isFinished(deploy)) return deploy;
    // A server that held the question until the deploy changed or ended (?wait=) needs no pause.
    await sleep(Math.max(0, intervalMs - (now() - asked)));
  }
}

/**
 * Copies a deploy's log (GET /api/v1/deploys/{id}/log) line by line to `print`; with `follow`, until
 * the deploy ends (the server then closes the stream) or `signal` aborts. A stream that breaks off
 * throws ApiError 'unreachable'.
 */
export async function streamDeployLog(connection: CliConfig, deployId: string, options: { follow: boolean; print: (line: string) => void; signal?: AbortSignal }): Promise<void> {
  const abort = new AbortController();
  const onStop = () => abort.abort();
  options.signal?.addEventListener('abort', onStop, { once: true });
  let pending = '';
  try {
    const response = await streamApi(connection, `/api/v1/deploys/${segment(deployId)}/log?follow=${String(options.follow)}`, abort.signal);
    const decoder = new TextDecoder();
    for await (const chunk of response.body ?? []) {
      const parts = (pending + decoder.decode(chunk as Uint8Array, { stream: true })).split('\n');
      pending = parts.pop()!;
      for (const line of parts) options.print(line);
    }
    pending += decoder.decode();
  } catch (e) {
    if (!abort.signal.aborted) {
      if (e instanceof ApiError) throw e;
      throw new ApiError(`the log stream of deploy ${deployId} broke off: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, 'unreachable');
    }
  } finally {
    options.signal?.removeEventListener('abort', onStop);
  }
  if (pending) options.print(pending);
}

export interface WaitResult {
  deploy: DeployResponse;
  /** The environment after the deploy, when it still exists (not after a teardown). */
  environment?: EnvironmentResponse;
  exitCode: number;
}

/**
 * `--wait`: follows a deploy to its end, then prints the summary (with the environment's URLs).
 * The timeline goes to stdout for people, to stderr when stdout is JSON for a script. With `logs`
 * (--wait --logs), the deploy's log is streamed instead of the timeline: task lines and the build
 * and job output; should the stream break off (a server restart), the timeline takes over.
 */
export async function waitForDeploy(connection: CliConfig, deployId: string, io: CommandIO, output: OutputFormat, options: { logs?: boolean } = {}): Promise<WaitResult> {
  const print = output === 'json' ? (line: string) => io.err(line) : (line: string) => io.out(line);
  // Long-polled: the server answers as the deploy ends, or after half a second for the timeline.
  const getDeploy = (id: string) => callApi<DeployResponse>(connection, 'GET', `/api/v1/deploys/${segment(id)}?wait=0.5`);
  if (options.logs) {
    try {
      await streamDeployLog(connection, deployId, { follow: true, print });
    } catch (e) {
      if (!(e instanceof ApiError) || e.kind !== 'unreachable') throw e;
      print(`  … ${e.message}; following the timeline instead`);
    }
  }
  const deploy = await pollDeploy(deployId, { getDeploy, print: options.logs ? () => undefined : print });
  let environment: EnvironmentResponse | undefined;
  if (deploy.workflow !== 'teardown') {
    try {
      environment = await callApi<EnvironmentResponse>(connection, 'GET', `/api/v1/environments/${segment(deploy.envId)}`);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
    }
  }
  for (const line of deploySummary(deploy, environment)) (deploy.state === 'succeeded' ? print : (l: string) => io.err(l))(line);
  return { deploy, ...(environment ? { environment } : {}), exitCode: deploy.state === 'succeeded' ? ExitCode.ok : ExitCode.deployFailed };
}
