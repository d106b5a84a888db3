import { z } from 'zod';
import { portNumber } from './primitives.ts';

// The route table is what the control plane computes from every environment's rendered routes and
// streams to routers (the embedded one and any `slipway router`). It is the only thing a router
// needs to know about environments, so it holds resolved addresses, never service names.

/** A hostname as the router matches it: lowercase, no port; `*.` in front matches any subdomain. */
export const ROUTE_HOST_PATTERN = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const routeHost = z.string().regex(ROUTE_HOST_PATTERN, {
  message: 'expected a lowercase hostname without port, optionally starting with "*." for every subdomain',
});

/** A path prefix matched on whole segments: "/api" matches /api and /api/x, not /apix. */
export const ROUTE_PATH_PREFIX_PATTERN = /^\/([^?#\s]*)$/;
export const routePathPrefix = z.string().regex(ROUTE_PATH_PREFIX_PATTERN, {
  message: 'expected a path prefix starting with "/", without query or spaces',
});

/** The ingress settings of a route, already resolved to numbers (see ResolvedIngress). */
export const resolvedIngressSchema = z.strictObject({
  public: z.boolean(),
  timeoutMs: z.number().int().positive(),
  connectTimeoutMs: z.number().int().positive(),
  maxBodyBytes: z.number().int().nonnegative(),
});

export const upstreamAddress = z.strictObject({
  host: z.string().min(1),
  port: portNumber,
});
export type UpstreamAddress = z.infer<typeof upstreamAddress>;

/**
 * Where a route sends its requests. `deploying` exists so that a host being (re)built answers a
 * clear 503 with Retry-After instead of a 404 that looks like the environment is gone.
 */
export const routeTarget = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('upstream'),
    /** Every ready instance of the service; the router balances across them in turn. */
    addresses: z.array(upstreamAddress).min(1),
    /** Remove the route's path prefix before forwarding (/api/users → /users). */
    stripPrefix: z.boolean(),
  }),
  z.strictObject({
    kind: z.literal('static'),
    /** Absolute folder of the built site; request paths below the route's prefix map into it. */
    root: z.string().min(1),
    /** Answer index.html for paths that are not files, for client-side routing. */
    spa: z.boolean(),
  }),
  z.strictObject({ kind: z.literal('deploying') }),
  /**
   * A paused environment's route: a "paused" page for browsers, 503 with Retry-After for API
   * clients. With `wake`, a router that can wake environments holds the request instead, asks for
   * the environment to be resumed, and serves it once its routes point at instances again.
   */
  z.strictObject({ kind: z.literal('paused'), wake: z.literal(true).optional() }),
]);
export type RouteTarget = z.infer<typeof routeTarget>;

export const routeTableEntry = z.strictObject({
  host: routeHost,
  pathPrefix: routePathPrefix,
  app: z.string().min(1),
  envId: z.string().min(1),
  /** The service behind the route, for error pages and metrics; not used for matching. */
  service: z.string().optional(),
  target: routeTarget,
  ingress: resolvedIngressSchema,
});
export type RouteTableEntry = z.infer<typeof routeTableEntry>;

/**
 * A change to the route table. Every event carries the table version it produces; versions
 * strictly increase, so a router that reconnects sends the last version it applied
 * (Last-Event-ID) and ignores any event that is not newer.
 */
export const routeChangeEvent = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('upsert-environment'),
    version: z.number().int().nonnegative(),
    app: z.string().min(1),
    envId: z.string().min(1),
    /** Every route of the environment: replaces the ones it had. */
    routes: z.array(routeTableEntry),
  }),
  z.strictObject({
    type: z.literal('remove-environment'),
    version: z.number().int().nonnegative(),
    app: z.string().min(1),
    envId: z.string().min(1),
  }),
  z.strictObject({
    type: z.literal('snapshot'),
    version: z.number().int().nonnegative(),
    /** The whole table: environments absent from it are removed. */
    routes: z.array(routeTableEntry),
  }),
]);
export type RouteChangeEvent = z.infer<typeof routeChangeEvent>;
export type RouteTableSnapshot = Extract<RouteChangeEvent, { type: 'snapshot' }>;

/**
 * What `GET /api/v1/routes/stream` sends (docs/architecture.md, "The route stream"). A follower
 * without a usable version gets the table in pieces — `snapshot-begin`, any number of
 * `snapshot-chunk`s, `snapshot-end` — then every change as it happens. A follower that names the
 * version it holds (Last-Event-ID or ?lastEventId=) gets only the changes after it, or a fresh
 * snapshot when the server no longer knows what changed since. Changes are per environment and
 * replace it whole, so a server may coalesce several changes of one environment into its newest.
 */
export const routeStreamEvent = z.discriminatedUnion('type', [
  routeChangeEvent.options[0],
  routeChangeEvent.options[1],
  /** The whole table in one event: what servers sent before chunks; followers still accept it. */
  routeChangeEvent.options[2],
  z.strictObject({
    type: z.literal('snapshot-begin'),
    /** The version the whole table is at once `snapshot-end` arrives. */
    version: z.number().int().nonnegative(),
    environments: z.number().int().nonnegative(),
    routes: z.number().int().nonnegative(),
  }),
  z.strictObject({
    type: z.literal('snapshot-chunk'),
    version: z.number().int().nonnegative(),
    /** Routes of whole environments: an environment is never split across chunks. */
    routes: z.array(routeTableEntry),
  }),
  z.strictObject({
    type: z.literal('snapshot-end'),
    version: z.number().int().nonnegative(),
    /** Environments the chunks held; any other environment the follower has is gone. */
    environments: z.number().int().nonnegative(),
  }),
  z.strictObject({
    /** The server is about to end the stream; the follower logs the reason and resumes from its version. */
    type: z.literal('closing'),
    version: z.number().int().nonnegative(),
    reason: z.string(),
  }),
]);
export type RouteStreamEvent = z.infer<typeof routeStreamEvent>;

/**
 * One server-sent event of the route stream, as the control plane writes it and routers read it.
 * The event name is the type. A change and `snapshot-end` carry their version as event id, the
 * other events none, so an EventSource-style client's Last-Event-ID is always a version it holds
 * completely (never the middle of a snapshot).
 */
export function routeStreamEventToSse(event: RouteStreamEvent, data: string = JSON.stringify(event)): string {
  const resumable = event.type === 'upsert-environment' || event.type === 'remove-environment' || event.type === 'snapshot-end' || event.type === 'snapshot';
  return `${resumable ? `id: ${event.version}\n` : ''}event: ${event.type}\ndata: ${data}\n\n`;
}
