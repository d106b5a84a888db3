import type { FastifyInstance } from 'fastify';
import { applicationListResponse, errorResponse } from '@slipway/contract';
import { pageApplications } from '../../store/applications.ts';
import type { ApiDependencies } from '../api-context.ts';
import { jsonSchema } from '../json-schema.ts';
import { pageAnswer, pageParameters, pageRequestOf } from '../page-cursor.ts';

const LIST = 'GET /api/v1/applications';

/** GET /api/v1/applications — the applications of the caller's workspace. */
export function listApplicationsRoute(app: FastifyInstance, deps: ApiDependencies): void {
  app.get(
    '/api/v1/applications',
    {
      schema: {
        summary: "List the workspace's applications by name, a page at a time",
        tags: ['applications'],
        querystring: { type: 'object', properties: pageParameters },
        response: { 200: jsonSchema(applicationListResponse), 400: jsonSchema(errorResponse) },
      },
    },
    async (request) => {
      const workspace = request.principal!.workspace;
      const page = await pageApplications(deps.db, workspace, pageRequestOf(LIST, request.query, 1));
      // One count per application of the page, so a client need not read every environment to show them.
      const live = deps.environments ? await deps.environments.store.countLive(workspace, page.items.map((a) => a.name)) : undefined;
      return pageAnswer(LIST, page, ({ id: _id, ...rest }) => ({ ...rest, ...(live ? { liveEnvironments: live.get(rest.name) ?? 0 } : {}) }));
    },
  );
}
