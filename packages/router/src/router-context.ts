import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouterMetrics } from './router-metrics.ts';
import type { UpstreamPools } from './upstream-pools.ts';
import type { ForwardingContext } from './forwarded-headers.ts';
import { sendRouterError, type RouterError } from './error-pages.ts';

// What every part of the request path shares, built once by startRouter.

/** pino's shape, so the server can hand its logger over; the router logs only what operators act on. */
export interface RouterLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export const silentLogger: RouterLogger = { info: () => undefined, warn: () => undefined };

export interface RouterContext {
  pools: UpstreamPools;
  metrics: RouterMetrics;
  forwarding: ForwardingContext;
  logger: RouterLogger;
}

/** Answers one of the router's own pages and counts it under the route host (or unmatched). */
export function answerError(context: RouterContext, req: IncomingMessage, res: ServerResponse, metricHost: string, error: RouterError): void {
  if (!res.headersSent) context.metrics.countRequest(metricHost, error.status);
  sendRouterError(req, res, error);
}
