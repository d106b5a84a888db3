import type { FastifyInstance } from 'fastify';
import { applicationListResponse } from '@slipway/contract';
import { listApplications } from '../../store/applications.ts';
import type { ApiDependencies } from '../api-context.ts';
import { jsonSchema } from '../json-schema.ts';

/** GET /api/v1/applications — the applications of the caller's workspace. */
export function listApplicationsRoute(app: FastifyInstance, deps: ApiDependencies): void {
  app.get(
    '/api/v1/applications',
    { schema: { summary: "List the workspace's applications", tags: ['applications'], response: { 200: jsonSchema(applicationListResponse) } } },
    async (request) => {
      const items = await listApplications(deps.db, request.principal!.workspace);
      return { items: items.map(({ id: _id, ...rest }) => rest) };
    },
  );
}
