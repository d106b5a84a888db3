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
      const page = await pageApplications(deps.db, request.principal!.workspace, pageRequestOf(LIST, request.query, 1));
      return pageAnswer(LIST, page, ({ id: _id, ...rest }) => rest);
    },
  );
}
