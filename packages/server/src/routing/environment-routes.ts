import type { InstanceStatus } from '@slipway/core';
import type { RenderedEnvironment, RouteTableEntry } from '@slipway/contract';

/** Where the environment is in its life, as its routes see it. */
export type RoutePhase = 'running' | 'deploying' | 'paused';

/**
 * The route table entries of one environment, from its rendered routes and where its instances
 * listen now: ready instances of a service receive its traffic; a service with none ready answers
 * 503 while the environment is deploying, and otherwise still points at its instances (so the router
 * answers 502, upstream down, rather than pretending the host does not exist). A paused
 * environment's every route, static sites included, answers the paused page (503). Routes of
 * services with `ingress.public: false` are not published.
 */
export function environmentRoutes(
  rendered: RenderedEnvironment,
  instances: readonly InstanceStatus[],
  staticRoots: Readonly<Record<string, string>>,
  phase: RoutePhase,
  /** A paused environment's routes let the first request wake it (the router holds it meanwhile). */
  options: { wake?: boolean } = {},
): RouteTableEntry[] {
  const entries: RouteTableEntry[] = [];
  const deploying = phase === 'deploying';
  for (const route of rendered.routes) {
    if (!route.ingress.public) continue;
    const base = { host: route.host, pathPrefix: route.pathPrefix, app: rendered.app, envId: rendered.envId, service: route.service, ingress: route.ingress };
    if (phase === 'paused') {
      entries.push({ ...base, target: options.wake ? { kind: 'paused', wake: true } : { kind: 'paused' } });
      continue;
    }
    if (route.static) {
      const root = staticRoots[route.service];
      const spa = rendered.services.find((s) => s.name === route.service)?.static?.spa ?? false;
      if (root) {
        entries.push({ ...base, target: { kind: 'static', root, spa } });
        continue;
      }
      // A runtime that serves the site from instances of its own (kubernetes) is routed to them, as any service.
      if (!instances.some((i) => i.service === route.service)) {
        if (deploying) entries.push({ ...base, target: { kind: 'deploying' } });
        continue;
      }
    }
    const service = rendered.services.find((s) => s.name === route.service);
    const port = route.port ?? service?.ports[0]?.port;
    const of = instances.filter((i) => i.service === route.service);
    const addressesOf = (list: readonly InstanceStatus[]) =>
      list.flatMap((i) => i.endpoints.filter((e) => port === undefined || e.port === port).slice(0, 1).map((e) => ({ host: e.host, port: e.hostPort })));
    const ready = addressesOf(of.filter((i) => i.state === 'ready'));
    if (ready.length) entries.push({ ...base, target: { kind: 'upstream', addresses: ready, stripPrefix: route.stripPrefix } });
    else if (deploying) entries.push({ ...base, target: { kind: 'deploying' } });
    else {
      const any = addressesOf(of);
      if (any.length) entries.push({ ...base, target: { kind: 'upstream', addresses: any, stripPrefix: route.stripPrefix } });
    }
  }
  return entries;
}
