// What the runtimes keep of job runs under their state folder: `jobs/<env key>/<run id>.json`, the
// record of a run (its result once it finished; the local runtime also records the process of a
// run in progress), and `logs/<env key>/jobs/<run id>.log`, its output. A run asked for again after
// it finished is answered from its record, marked `recorded`, and never run a second time.
import { join } from 'node:path';
import type { ResolvedJob } from '@slipway/contract';
import { environmentKey, type EnvironmentRef, type JobResult } from '@slipway/core';
import { readJson, writeJson } from './state-folder.ts';

export interface JobRecord<Process = never> {
  env: EnvironmentRef;
  runId: string;
  job: string;
  /** Runtimes that record runs in progress say which this is; a record with a result is done. */
  status?: 'running' | 'done';
  /** The run in progress, for a later driver to wait for rather than start it again. */
  process?: Process;
  /** When a run in progress is to be stopped (ms since the epoch). */
  deadline?: number;
  result?: JobResult;
}

/** A result answered again: marked as recorded when it was a run's outcome. */
export function asRecorded(result: JobResult): JobResult {
  return 'recorded' in result ? { ...result, recorded: true } : result;
}

export class JobRecords<Process = never> {
  constructor(private readonly stateDir: string) {}

  path(env: EnvironmentRef, runId: string): string {
    return join(this.stateDir, 'jobs', environmentKey(env), `${runId}.json`);
  }

  logPath(env: EnvironmentRef, runId: string): string {
    return join(this.stateDir, 'logs', environmentKey(env), 'jobs', `${runId}.log`);
  }

  read(env: EnvironmentRef, runId: string): JobRecord<Process> | undefined {
    return readJson<JobRecord<Process>>(this.path(env, runId));
  }

  /** The result of the run when it finished already, marked as recorded. */
  finished(env: EnvironmentRef, runId: string): JobResult | undefined {
    const result = this.read(env, runId)?.result;
    return result && asRecorded(result);
  }

  write(record: JobRecord<Process>): void {
    writeJson(this.path(record.env, record.runId), record);
  }
}

/** The result of a run that ended (or was stopped at its deadline), before masking. */
export function endedRunResult(
  job: Pick<ResolvedJob, 'name' | 'timeoutMs'>,
  exit: { code: number | null; timedOut: boolean },
  run: { logTail: string; startedAt: string; finishedAt: string },
): JobResult {
  const fields = { exitCode: exit.code, logTail: run.logTail, timedOut: exit.timedOut, startedAt: run.startedAt, finishedAt: run.finishedAt, recorded: false };
  if (exit.code === 0) return { outcome: 'succeeded', ...fields };
  return { outcome: 'failed', reason: exit.timedOut ? `jobs.${job.name} did not finish within ${job.timeoutMs} ms` : `jobs.${job.name} exited with code ${exit.code}`, ...fields };
}
