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
  /** Why the service cannot become ready whatever its instances do next (a host port taken), looked at first. */
  blocked?(statuses: InstanceStatus[]): string | undefined;
  /** Waits before the next look (a poll interval, or until an instance's state changes). */
  pause(): Promise<void>;
}

/** Waits until every service is ready; gives the problem when one cannot be, or not within `timeoutMs`. */
export async function waitUntilReady(services: string[], timeoutMs: number, watch: ReadinessWatch): Promise<DriverProblem | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let allReady = true;
    const waiting: InstanceStatus[] = [];
    for (const service of services) {
      const replicas = watch.replicas(service);
      if (replicas === undefined) continue;
      const statuses = await watch.statuses(service);
      const blocked = watch.blocked?.(statuses);
      if (blocked) return problem('failed', `services.${service}: ${blocked}`);
      const readiness = serviceReadiness(statuses, replicas);
      if (readiness.state === 'failed') return problem('failed', `services.${service}: ${readiness.reason}`, readiness.instance.logTail);
      if (readiness.state !== 'ready') {
        allReady = false;
        waiting.push(...statuses);
      }
    }
    if (allReady) return undefined;
    if (Date.now() > deadline) {
      const troubled = waiting.find((i) => i.logTail);
      return problem('failed', `not ready within ${timeoutMs} ms: ${notReadyReasons(waiting)}`, troubled?.logTail);
    }
    await watch.pause();
  }
}
