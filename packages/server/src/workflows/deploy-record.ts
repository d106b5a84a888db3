import { createSecretMasker, maskDeep, type SecretMasker, type SecretValues, type TaskState } from '@slipway/core';
import type { DeployLogs } from '../environments/deploy-log.ts';
import type { EnvironmentStore, StoredDeploy, StoredEnvironment } from '../store/environments.ts';
import type { ReconcileContext } from '../worker/keyed-worker.ts';

// Recording a deploy's progress: every line of its log, every task state, the deploy's and the
// environment's rows. Each write is fenced by the environment's lease (a server that lost it writes
// nothing more of the deploy), and everything written passes the deploy's secret masker first: the
// runtimes mask what they hand on already; this catches what reaches the engine another way (an
// error's message, a runtime that missed a form).

export interface EngineLogger {
  info(message: string): void;
  error(message: string): void;
}

export type DeployOutcome = 'succeeded' | 'failed' | 'errored';
export type EnvironmentChange = Parameters<EnvironmentStore['updateEnvironment']>[1];

/** How a deploy ends: its outcome and why, and what that makes of its environment. */
export interface DeployEnding {
  outcome: DeployOutcome;
  reason?: string;
  environment: EnvironmentChange;
}

/**
 * Thrown by a step of a deploy that cannot go on (a secret missing, a build failing, an App Import
 * not ready): the deploy ends with this outcome, recorded once by runDeploy. `environmentReason`
 * is what the environment shows when it is shorter than the deploy's reason.
 */
export class DeployEnded extends Error {
  constructor(
    readonly outcome: 'failed' | 'errored',
    readonly reason: string,
    readonly environmentReason: string = reason,
  ) {
    super(reason);
  }
}

export interface RecordSinks {
  store: EnvironmentStore;
  logger: EngineLogger;
  /** Where each deploy's log is written (task lines, build and job output); none without it. */
  deployLogs?: DeployLogs;
}

export type TaskRecord = { key: string; step: number; state: TaskState; reason?: string; logTail?: string };

export class DeployRecord {
  private masker: SecretMasker | undefined;

  constructor(
    private readonly sinks: RecordSinks,
    readonly env: StoredEnvironment,
    readonly deploy: StoredDeploy,
    private readonly run: Pick<ReconcileContext, 'fence' | 'signal'>,
  ) {}

  /** Aborted when the engine stops or lost the environment's lease: the run stops at its next step, writing nothing more. */
  get signal(): AbortSignal {
    return this.run.signal;
  }

  get stopped(): boolean {
    return this.run.signal.aborted;
  }

  /** `env/deploy` for the server's log. */
  get name(): string {
    return `${this.env.app}/${this.env.envId}: ${this.deploy.workflow} deploy #${this.deploy.seq}`;
  }

  /** From here on, every form of these secrets is masked in what is written of the deploy. */
  maskSecrets(secrets: SecretValues): void {
    this.masker = createSecretMasker(secrets);
  }

  masked<T>(value: T): T {
    return this.masker ? maskDeep(value, this.masker) : value;
  }

  /** Writes one of the engine's lines to the deploy's log; a log that cannot be written never holds a deploy up. */
  line(text: string): void {
    try {
      this.sinks.deployLogs?.task(this.deploy.id, this.masked(text));
    } catch (error) {
      this.sinks.logger.error(`deploy ${this.deploy.id} log: ${(error as Error).message}`);
    }
  }

  /** A sink for build or job output lines of the deploy, each prefixed with `who` (service or job). */
  output(): ((line: string, who: string) => void) | undefined {
    const logs = this.sinks.deployLogs;
    if (!logs) return undefined;
    let failed = false;
    return (line, who) => {
      try {
        logs.output(this.deploy.id, this.masked(`${who} | ${line}`));
      } catch (error) {
        if (!failed) this.sinks.logger.error(`deploy ${this.deploy.id} log: ${(error as Error).message}`);
        failed = true;
      }
    };
  }

  /** The deploy is under way: `running` (when it was queued) and its environment deploying or deleting. */
  async begin(): Promise<void> {
    const { deploy, env } = this;
    this.line(`▸ ${deploy.workflow} deploy #${deploy.seq} of ${env.app}/${env.envId} ${deploy.state === 'queued' ? 'started' : 'resumed'} (${deploy.rendered.runtime} runtime)`);
    if (deploy.state === 'queued') {
      await this.saveDeploy({ state: 'running', startedAt: new Date().toISOString() });
      this.sinks.logger.info(`${this.name} started`);
    }
    await this.saveEnvironment({ status: deploy.workflow === 'teardown' ? 'deleting' : 'deploying', reason: undefined });
  }

  async task(task: TaskRecord): Promise<void> {
    await this.fenced((store) => store.setTask(this.deploy.id, this.masked(task)));
  }

  /** Stores what the deploy learnt on its way (its source, its spec rendered with App Imports). */
  async saveDeploy(change: Parameters<EnvironmentStore['updateDeploy']>[1]): Promise<void> {
    await this.fenced((store) => store.updateDeploy(this.deploy.id, change));
  }

  async saveEnvironment(change: EnvironmentChange): Promise<void> {
    await this.fenced((store) => store.updateEnvironment(this.env.id, this.masked(change)));
  }

  /** Ends the deploy: its last log line (before the end is stored, so whoever follows the log reads it before it closes), its row, its environment's. */
  async end(ending: DeployEnding): Promise<void> {
    if (this.stopped) return;
    const { outcome, reason } = ending;
    const said = `${outcome}${reason ? `: ${reason}` : ''}`;
    this.line(`${outcome === 'succeeded' ? '✓' : '✗'} ${this.deploy.workflow} deploy #${this.deploy.seq} ${said}`);
    this.sinks.deployLogs?.close(this.deploy.id);
    await this.fenced((store) => store.updateDeploy(this.deploy.id, this.masked({ state: outcome, outcome, reason, finishedAt: new Date().toISOString() })));
    this.sinks.logger.info(this.masked(`${this.name} ${said}`));
    await this.saveEnvironment(ending.environment);
  }

  /** How the deploy ends after `error`: a step's DeployEnded as it says, anything else the platform's fault (logged with its stack). */
  failure(error: unknown): DeployEnding {
    if (error instanceof DeployEnded) return { outcome: error.outcome, reason: error.reason, environment: { status: error.outcome, reason: error.environmentReason } };
    const reason = `platform error: ${(error as Error).message}`;
    this.sinks.logger.error(this.masked(`${this.env.app}/${this.env.envId}: ${(error as Error).stack ?? reason}`));
    return { outcome: 'errored', reason, environment: { status: 'errored', reason } };
  }

  private fenced<T>(work: (store: EnvironmentStore) => Promise<T>): Promise<T> {
    return this.sinks.store.transact(async (store, tx) => {
      await this.run.fence(tx);
      return work(store);
    });
  }
}
