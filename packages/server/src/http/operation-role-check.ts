import type { FastifyInstance, FastifyRequest } from 'fastify';
import { operationRoles } from '@slipway/contract';
import { NotAllowedError } from '@slipway/core';
import { requireRole } from './authorize.ts';

/** A route as operation-roles.ts names it: "METHOD /path" with `{param}` for Fastify's `:param`. */
export function operationOf(method: string, url: string): string {
  return `${method === 'HEAD' ? 'GET' : method.toUpperCase()} ${url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
}

/**
 * Enforces the contract's role table on every /api/v1 route, before its handler runs: the one place
 * an endpoint's least role is checked, so a handler never repeats it. A route the table does not
 * name refuses to be registered (the server does not start), saying where to add it. Handlers still
 * decide what depends on the data (another user's tokens, breaking glass, approver roles).
 */
export function enforceOperationRoles(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1/')) return;
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      const operation = operationOf(method, route.url);
      if (!(operation in operationRoles)) {
        throw new Error(`${operation} has no least role: add '${operation}': '${method === 'GET' ? 'viewer' : 'developer'}' (or the role it needs) to operationRoles in packages/contract/src/operation-roles.ts, then run npm run docs:roles`);
      }
    }
  });
  app.addHook('preHandler', async (request: FastifyRequest) => {
    const url = request.routeOptions.url;
    if (!url?.startsWith('/api/v1/')) return;
    const role = operationRoles[operationOf(request.method, url)];
    // `no-token` routes authenticate the call themselves (a webhook's signature).
    if (role === 'no-token') return;
    // Unreachable while onRoute above holds; refused rather than let through should it not.
    if (role === undefined) throw new NotAllowedError(`${operationOf(request.method, url)} has no least role in the role table`);
    requireRole(request, role);
  });
}
