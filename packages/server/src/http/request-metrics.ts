import type { FastifyInstance } from 'fastify';
import type { ServerMetrics } from '../metrics/server-metrics.ts';

/**
 * Times every API request by the route it matched — its template (`/api/v1/environments/:id`),
 * never the path a client sent — with its method and status class. A hijacked stream (the route
 * stream, deploy events) is timed when it ends.
 */
export function observeRequests(app: FastifyInstance, metrics: Pick<ServerMetrics, 'observeRequest'>): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime);
  });
}
