import type { ResolvedService, ResolvedStep } from '@slipway/contract';
import type { RuntimeDriver, SecretValues, TaskState } from '@slipway/core';
import type { StoredDeploy } from '../store/environments.ts';

// A static site is served by the router from its build output; nothing else of the environment
// needs that output. So the build of a static service that has a task in the workflow runs in that
// task, beside the steps' other work (a migration job, another service starting), instead of in the
// `source` task every step waits for. Each build is written to the deploy's source as it ends, so a
// restarted engine knows which static roots exist; a build run again after a crash finds the
// driver's marker and does nothing.

export type DeploySource = NonNullable<StoredDeploy['source']>;

/** Static services the workflow names in a task of its own: their builds run in those tasks. */
export function staticBuildsInTasks(services: readonly ResolvedService[], steps: readonly ResolvedStep[]): Set<string> {
  const named = new Set(steps.flatMap((step) => step.tasks.flatMap((task) => (task.kind === 'service' ? [task.name] : []))));
  return new Set(services.filter((s) => s.static && named.has(s.name)).map((s) => s.name));
}

export interface StaticBuildContext {
  driver: RuntimeDriver;
  /** The services as the source task was given them. */
  services: readonly ResolvedService[];
  request: { env: Parameters<RuntimeDriver['prepareSource']>[0]['env']; repository: string; secrets: SecretValues; onOutput?: (line: string, service: string) => void };
  /** The deploy's source as stored; updated in place as builds end. */
  source: DeploySource;
  /** Stores the source with every static root known so far. */
  save(source: DeploySource): Promise<void>;
}

/**
 * Builds a static service in its own task when the source task left it for later; resolves to the
 * task's failure when the build fails, undefined once its output folder is known.
 */
export class StaticBuilds {
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly context: StaticBuildContext) {}

  async build(name: string): Promise<{ state: TaskState; reason?: string; logTail?: string } | undefined> {
    const { driver, request, source } = this.context;
    const service = this.context.services.find((s) => s.name === name);
    if (!service?.static || source.staticRoots[service.name]) return undefined;
    const prepared = await driver.prepareSource({ ...request, commit: source.commit, services: [service] });
    if (prepared.outcome !== 'succeeded') return { state: prepared.outcome, reason: prepared.reason, ...(prepared.logTail ? { logTail: prepared.logTail } : {}) };
    const root = prepared.staticRoots[service.name];
    // A runtime that serves the site itself (kubernetes) has built and packed it: its apply runs it.
    if (!root && driver.servesStaticSites) return undefined;
    if (!root) return { state: 'errored', reason: `the ${driver.name} runtime built services.${service.name} but gave no static output folder` };
    source.staticRoots = { ...source.staticRoots, [service.name]: root };
    // One write at a time, each with every root known when it starts: the last one holds them all.
    const write = this.saving.then(() => this.context.save({ ...source, staticRoots: { ...source.staticRoots } }));
    this.saving = write.catch(() => undefined);
    await write;
    return undefined;
  }
}
