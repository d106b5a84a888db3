import type { FastifyInstance } from 'fastify';
import { errorResponse } from '@slipway/contract';
import type { RouteStreamMetrics } from '../../metrics/server-metrics.ts';
import type { RouteHub } from '../../routing/route-hub.ts';
import { openRouteStreamSession, type RouteStreamSession } from '../../routing/route-stream-session.ts';
import {  } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';

export interface RouteStreamDependencies {
  routeHub: RouteHub;
  /**
   * Time between heartbeat comments. Followers reconnect when nothing arrived for their idle
   * timeout (followRouteStream: 60 s), so this stays a fraction of it.
   */
  heartbeatMs?: number;
  /** See RouteStreamSessionOptions: chunk size, the slow follower's queue, and when it counts as stalled. */
  maxEventBytes?: number;
  maxPendingChanges?: number;
  stallTimeoutMs?: number;
  /** Followers connected and bytes sent, for /metrics. */
  metrics?: RouteStreamMetrics;
}

/** The version a follower last applied: Last-Event-ID, else ?lastEventId=; undefined when absent or not a version. */
function lastVersionOf(header: string | string[] | undefined, query: string | undefined): number | undefined {
  const raw = (Array.isArray(header) ? header[0] : header) ?? query;
  if (raw === undefined || !/^\d{1,16}$/.test(raw.trim())) return undefined;
  const version = Number(raw.trim());
  return Number.isSafeInteger(version) ? version : undefined;
}

/**
 * The route stream `slipway router` follows (docs/architecture.md, "The route stream"): the table
 * in chunks, then every change, each with its version; a follower resuming with Last-Event-ID gets
 * only what it missed (or a snapshot when the hub can no longer tell), and a comment now and then
 * so it can tell a quiet stream from a dead one. A slow follower is paced, not dropped
 * (route-stream-session.ts).
 */
export function routeStreamRoute(app: FastifyInstance, deps: RouteStreamDependencies): void {
  const { routeHub, metrics } = deps;
  // Open streams never end by themselves: without ending them, closing the API would wait for every router.
  const open = new Set<RouteStreamSession>();
  app.addHook('preClose', async () => {
    for (const session of open) session.close('the control plane is shutting down');
  });

  app.get<{ Querystring: { lastEventId?: string } }>(
    '/api/v1/routes/stream',
    {
      schema: {
        summary: 'The route table as server-sent events (RouteStreamEvent): what `slipway router` follows',
        description:
          'Without a version: snapshot-begin, snapshot-chunk events of whole environments (each under 64 KiB), snapshot-end (id = version), then upsert-environment / remove-environment changes (id = version). Send Last-Event-ID (or ?lastEventId=) with the last version applied to get only the changes after it; a version the server cannot answer for gets a snapshot. A comment line arrives every 15 s while nothing changes; a `closing` event gives the reason before the server ends a stream. Needs the admin role: the table holds every workspace.',
        tags: ['routes'],
        querystring: { type: 'object', properties: { lastEventId: { type: 'string' } } },
        response: { 401: jsonSchema(errorResponse), 403: jsonSchema(errorResponse) },
      },
    },
    async (request, reply) => {
      // The table spans every workspace and names internal addresses: not for a workspace's viewers.
      const lastVersion = lastVersionOf(request.headers['last-event-id'], request.query.lastEventId);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        // Tells nginx-style proxies in front of the API not to hold events back.
        'x-accel-buffering': 'no',
      });
      res.flushHeaders();
      const session = openRouteStreamSession({
        hub: routeHub,
        out: res,
        lastVersion,
        ...(deps.heartbeatMs !== undefined ? { heartbeatMs: deps.heartbeatMs } : {}),
        ...(deps.maxEventBytes !== undefined ? { maxEventBytes: deps.maxEventBytes } : {}),
        ...(deps.maxPendingChanges !== undefined ? { maxPendingChanges: deps.maxPendingChanges } : {}),
        ...(deps.stallTimeoutMs !== undefined ? { stallTimeoutMs: deps.stallTimeoutMs } : {}),
        log: (level, details, message) => request.log[level](details, message),
        ...(metrics ? { onBytes: (bytes: number) => metrics.streamSent(bytes) } : {}),
      });
      open.add(session);
      metrics?.streamOpened();
      res.once('close', () => {
        open.delete(session);
        metrics?.streamClosed();
      });
    },
  );
}
