import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { errorResponse, routeChangeEventToSse, type RouteChangeEvent } from '@slipway/contract';
import type { RouteHub } from '../../routing/route-hub.ts';
import { requireRole } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';

export interface RouteStreamDependencies {
  routeHub: RouteHub;
  /**
   * Time between heartbeat comments. Followers reconnect when nothing arrived for their idle
   * timeout (followRouteStream: 60 s), so this stays a fraction of it.
   */
  heartbeatMs?: number;
  /**
   * How far a client may fall behind, in bytes waiting in its socket buffer beyond what was written
   * when it connected, before it is disconnected; it resumes with Last-Event-ID and gets a snapshot.
   */
  maxBufferedBytes?: number;
}

const DEFAULT_HEARTBEAT_MS = 15_000;
const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** The version a follower last applied: Last-Event-ID, else ?lastEventId=; undefined when absent or not a version. */
function lastVersionOf(header: string | string[] | undefined, query: string | undefined): number | undefined {
  const raw = (Array.isArray(header) ? header[0] : header) ?? query;
  if (raw === undefined || !/^\d{1,16}$/.test(raw.trim())) return undefined;
  const version = Number(raw.trim());
  return Number.isSafeInteger(version) ? version : undefined;
}

/**
 * The route stream `slipway router` follows: server-sent events of RouteChangeEvent, the version as
 * event id. A follower resuming with Last-Event-ID gets only what it missed (or a snapshot when the
 * hub no longer keeps it), then every change as it happens, and a comment now and then so it can
 * tell a quiet stream from a dead one.
 */
export function routeStreamRoute(app: FastifyInstance, deps: RouteStreamDependencies): void {
  const { routeHub } = deps;
  const heartbeatMs = deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const maxBufferedBytes = deps.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  // Open streams never end by themselves: without ending them, closing the API would wait for every router.
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get<{ Querystring: { lastEventId?: string } }>(
    '/api/v1/routes/stream',
    {
      schema: {
        summary: 'The route table as server-sent events (RouteChangeEvent, id = version): what `slipway router` follows',
        description:
          'Send Last-Event-ID (or ?lastEventId=) with the last version applied to get only the changes after it; an unknown or too old version gets a snapshot. A comment line arrives every 15 s while nothing changes. Needs the admin role: the table holds every workspace.',
        tags: ['routes'],
        querystring: { type: 'object', properties: { lastEventId: { type: 'string' } } },
        response: { 401: jsonSchema(errorResponse), 403: jsonSchema(errorResponse) },
      },
    },
    async (request, reply) => {
      // The table spans every workspace and names internal addresses: not for a workspace's viewers.
      requireRole(request, 'admin');
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

      let sentVersion = -1;
      let limit = maxBufferedBytes;
      let closed = false;
      const send = (event: RouteChangeEvent): void => {
        // A snapshot is the whole truth; any other event must be newer than what was sent.
        if (closed || (event.type !== 'snapshot' && event.version <= sentVersion)) return;
        sentVersion = event.version;
        res.write(routeChangeEventToSse(event));
        if (res.writableLength > limit) {
          request.log.warn({ buffered: res.writableLength, version: sentVersion }, 'route stream client is too slow; disconnecting it');
          closed = true;
          res.destroy();
        }
      };
      // Subscribing and reading the backlog in the same tick: no event can fall between them.
      const unsubscribe = routeHub.subscribe(send);
      for (const event of routeHub.eventsSince(lastVersion)) send(event);
      // A large first snapshot may sit in the buffer for a while; only falling behind after it counts.
      limit = maxBufferedBytes + res.writableLength;
      const heartbeat = setInterval(() => {
        if (res.writableLength <= limit) res.write(': ping\n\n');
      }, heartbeatMs);
      heartbeat.unref();

      open.add(res);
      res.once('close', () => {
        closed = true;
        open.delete(res);
        clearInterval(heartbeat);
        unsubscribe();
      });
    },
  );
}
