// `apply` with `waitFor: 'ready'` waits the same way on every runtime: until each applied service has
// as many ready instances as it asks for, failing at once when an instance crash-loops (or the
// runtime sees another reason it cannot start), and at the timeout with what every waiting instance
// is doing.
import { notReadyReasons, serviceReadiness, type DriverProblem, type InstanceStatus } from '@slipway/core';
import { problem } from './driver-problem.ts';

export interface ReadinessWatch {
  /** The replicas a service asks for now; undefined when the environment no longer has it (it is then not waited for). */
  replicas(service: string): number | undefined;
  statuses(service: string): InstanceStatus[] | Promise<InstanceStatus[]>;
  /**
   * Why the service cannot become ready whatever its instances do next (a host port taken, a quota
   * the cluster refuses pods by), looked at first, and asked once more (`timedOut`) for each service
   * still waiting when the time is up, so the reason is the runtime's rather than "not ready".
   */
  blocked?(statuses: InstanceStatus[], service: string, timedOut: boolean): string | undefined | Promise<string | undefined>;
  /** Waits before the next look (a poll interval, or until an instance's state changes). */
  pause(): Promise<void>;
}

/** Waits until every service is ready; gives the problem when one cannot be, or not within `timeoutMs`. */
export async function waitUntilReady(services: string[], timeoutMs: number, watch: ReadinessWatch): Promise<DriverProblem | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let allReady = true;
    const waiting: InstanceStatus[] = [];
    const pending: [service: string, statuses: InstanceStatus[]][] = [];
    for (const service of services) {
      const replicas = watch.replicas(service);
      if (replicas === undefined) continue;
      const statuses = await watch.statuses(service);
      const blocked = await watch.blocked?.(statuses, service, false);
      if (blocked) return problem('failed', `services.${service}: ${blocked}`);
      const readiness = serviceReadiness(statuses, replicas);
      if (readiness.state === 'failed') return problem('failed', `services.${service}: ${readiness.reason}`, readiness.instance.logTail);
      if (readiness.state !== 'ready') {
        allReady = false;
        pending.push([service, statuses]);
        waiting.push(...(statuses.length ? statuses : [{ name: `${service}-0`, state: 'starting', message: 'no instance yet' } as InstanceStatus]));
      }
    }
    if (allReady) return undefined;
    if (Date.now() > deadline) {
      for (const [service, statuses] of pending) {
        const blocked = await watch.blocked?.(statuses, service, true);
        if (blocked) return problem('failed', `services.${service}: ${blocked}`);
      }
      const troubled = waiting.find((i) => i.logTail);
      return problem('failed', `not ready within ${timeoutMs} ms: ${notReadyReasons(waiting)}`, troubled?.logTail);
    }
    await watch.pause();
  }
}
