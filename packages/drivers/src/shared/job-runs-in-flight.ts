// A job run is asked for by its id, and may be asked for again (a retried task, a second server):
// both runtimes check the id and start a run at most once at a time, a second call waiting for it.
import { environmentKey, type JobResult, type JobRunRequest } from '@slipway/core';
import { asRecorded } from './job-records.ts';

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export class JobRunsInFlight {
  private readonly running = new Map<string, Promise<JobResult>>();

  /** Runs `start` for the request's run, unless that run is in flight already: then waits for it. */
  run(request: JobRunRequest, start: () => Promise<JobResult>): Promise<JobResult> {
    if (!RUN_ID.test(request.runId)) {
      return Promise.resolve({ outcome: 'errored', reason: `run id ${JSON.stringify(request.runId)} must be letters, digits, ".", "_" and "-"` });
    }
    const key = `${environmentKey(request.env)}/${request.runId}`;
    const inFlight = this.running.get(key);
    if (inFlight) return inFlight.then(asRecorded);
    const run = start().finally(() => this.running.delete(key));
    this.running.set(key, run);
    return run;
  }
}
