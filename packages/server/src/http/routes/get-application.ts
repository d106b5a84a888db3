import type { FastifyInstance } from 'fastify';
import { applicationResponse, errorResponse } from '@slipway/contract';
import { didYouMean, NotFoundError } from '@slipway/core';
import { getApplication, listApplications, listTemplateVersions } from '../../store/applications.ts';
import type { ApiDependencies } from '../api-context.ts';
import { jsonSchema } from '../json-schema.ts';

/** GET /api/v1/applications/:name — one application with its template versions. */
export function getApplicationRoute(app: FastifyInstance, deps: ApiDependencies): void {
  app.get<{ Params: { name: string } }>(
    '/api/v1/applications/:name',
    {
      schema: {
        summary: 'Get an application and its template versions',
        tags: ['applications'],
        params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        response: { 200: jsonSchema(applicationResponse), 404: jsonSchema(errorResponse) },
      },
    },
    async (request) => {
      const workspace = request.principal!.workspace;
      const found = await getApplication(deps.db, workspace, request.params.name);
      if (!found) {
        const names = (await listApplications(deps.db, workspace)).map((a) => a.name);
        throw new NotFoundError(`no application "${request.params.name}" in workspace ${workspace}${didYouMean(request.params.name, names)}`);
      }
      const { id, ...rest } = found;
      return { ...rest, versions: await listTemplateVersions(deps.db, id) };
    },
  );
}
