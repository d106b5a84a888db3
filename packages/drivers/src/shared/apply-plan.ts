// The skeleton of `apply` every runtime shares: which services a request converges (all, or
// `only` some), each applied in turn by the runtime, the environment's other services removed
// (without `only`), and, once applied, the wait until every instance is ready and the instances
// each service report shows. How one service is started, replaced or removed stays with each runtime.
import type { ResolvedService } from '@slipway/contract';
import { specHash, type ApplyRequest, type ApplyResult, type DriverProblem, type InstanceStatus, type ServiceReport } from '@slipway/core';
import { problem } from './driver-problem.ts';

/** What `applyPlan` asks of a runtime, for one environment. */
export interface PlanTarget {
  /** Makes what every service of the environment needs (a network, a namespace), once the request is found valid. */
  prepare?(): Promise<void>;
  /** Makes one service of the request run as its spec says; reports what changed, or why it could not. */
  applyService(spec: ResolvedService): Promise<ServiceReport | DriverProblem>;
  /** Stops and forgets a service of the environment. */
  removeService(name: string): Promise<void>;
  /** The services the environment runs, with their spec hashes (read once the request's services are applied). */
  services(): Iterable<[name: string, specHash: string]>;
  /**
   * Services are independent of each other on this runtime (objects of a cluster): apply them side
   * by side rather than one after the other. The first problem in the request's order is reported.
   */
  sideBySide?: boolean;
}

/** The services a request converges: every one, or those `only` names (each of which must be among them). */
export function planTargets(request: Pick<ApplyRequest, 'services' | 'only'>): ResolvedService[] | DriverProblem {
  const unknown = (request.only ?? []).filter((name) => !request.services.some((s) => s.name === name));
  if (unknown.length > 0) return problem('failed', `no service named ${unknown.join(', ')} in the environment`);
  return request.only ? request.services.filter((s) => request.only!.includes(s.name)) : request.services;
}

/**
 * Applies the request's services one after the other (stopping at the first problem), or side by
 * side when the target says its services are independent, and, unless
 * it converges `only` some, removes the environment's services it does not name. The reports carry
 * no instances yet: see `withInstances`.
 */
export async function applyPlan(request: Pick<ApplyRequest, 'services' | 'only'>, target: PlanTarget): Promise<ApplyResult> {
  const targets = planTargets(request);
  if ('reason' in targets) return targets;
  await target.prepare?.();
  const reports: ServiceReport[] = [];
  if (target.sideBySide) {
    for (const report of await Promise.all(targets.map((spec) => target.applyService(spec)))) {
      if ('reason' in report) return report;
      reports.push(report);
    }
  } else {
    for (const spec of targets) {
      const report = await target.applyService(spec);
      if ('reason' in report) return report;
      reports.push(report);
    }
  }
  if (!request.only) {
    for (const [name, hash] of [...target.services()]) {
      if (targets.some((s) => s.name === name)) continue;
      await target.removeService(name);
      reports.push({ service: name, action: 'removed', specHash: hash, instances: [] });
    }
  }
  return { outcome: 'succeeded', services: reports };
}

/**
 * A static service (a folder the router serves; nothing runs): unchanged while its spec and commit
 * are, else `replace` stores it (after removing what the environment ran under its name before).
 */
export async function applyStaticService(
  spec: ResolvedService,
  commit: string,
  root: string,
  existingHash: string | undefined,
  replace: (hash: string) => Promise<void>,
): Promise<ServiceReport> {
  const hash = specHash({ spec, commit });
  if (existingHash === hash) return { service: spec.name, action: 'unchanged', specHash: hash, instances: [], staticRoot: root };
  await replace(hash);
  return { service: spec.name, action: existingHash !== undefined ? 'replaced' : 'created', specHash: hash, instances: [], staticRoot: root };
}

/** The reports with the instances each service has now (none for a removed one). */
export async function withInstances(reports: ServiceReport[], statuses: (service: string) => InstanceStatus[] | Promise<InstanceStatus[]>): Promise<ServiceReport[]> {
  const services: ServiceReport[] = [];
  for (const r of reports) services.push({ ...r, instances: r.action === 'removed' ? [] : await statuses(r.service) });
  return services;
}
