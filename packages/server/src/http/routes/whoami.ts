import type { FastifyInstance } from 'fastify';
import { whoamiResponse } from '@slipway/contract';
import { principalOf } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';

/** GET /api/v1/whoami — the caller as the API sees it: user, workspace, role, approver roles and token. */
export function whoamiRoute(app: FastifyInstance): void {
  app.get(
    '/api/v1/whoami',
    { schema: { summary: 'Who the token acts as: user, workspace, role, approver roles and the token itself', tags: ['tokens'], response: { 200: jsonSchema(whoamiResponse) } } },
    async (request) => {
      const principal = principalOf(request);
      return { user: principal.name, workspace: principal.workspace, role: principal.role, approverRoles: [...principal.approverRoles], token: principal.token };
    },
  );
}
