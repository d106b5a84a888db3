import type { FastifyInstance } from 'fastify';
import { applicationBranchesResponse, errorResponse } from '@slipway/contract';
import { InputError, NotFoundError } from '@slipway/core';
import type { Repositories } from '../../git/repositories.ts';
import { getApplication } from '../../store/applications.ts';
import type { ApiDependencies } from '../api-context.ts';
import { principalOf } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';
import { pageAnswer, pageParameters, pageRequestOf } from '../page-cursor.ts';
import { pageInMemory } from '../../store/keyset-page.ts';

const BRANCHES_LIST = 'GET /api/v1/applications/{name}/branches';

/** GET /api/v1/applications/:name/branches — the branches of the application's repository (for the portal's branch picker). */
export function applicationBranchesRoute(app: FastifyInstance, deps: ApiDependencies & { repositories: Repositories }): void {
  app.get<{ Params: { name: string } }>(
    '/api/v1/applications/:name/branches',
    {
      schema: {
        summary: "The branches of an application's git repository, with the commit each points at",
        tags: ['applications'],
        params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        querystring: { type: 'object', properties: pageParameters },
        response: { 200: jsonSchema(applicationBranchesResponse), 400: jsonSchema(errorResponse), 404: jsonSchema(errorResponse) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const pageRequest = pageRequestOf(BRANCHES_LIST, request.query, 1);
      const found = await getApplication(deps.db, principal.workspace, request.params.name);
      if (!found) throw new NotFoundError(`no application "${request.params.name}" in workspace ${principal.workspace}`);
      if (!found.repositoryUrl) throw new InputError(`application ${found.name} was registered from a manifest, not a repository: it has no branches`);
      const { branches, defaultBranch } = await deps.repositories.heads(found.repositoryUrl);
      // A repository's branches come whole from git; they are paged here, by name, like a stored list.
      const page = pageInMemory([...branches].map(([name, commit]) => ({ name, commit })), (b) => [b.name], pageRequest);
      return {
        ...pageAnswer(BRANCHES_LIST, page, (b) => b),
        ...(defaultBranch ? { defaultBranch } : {}),
        ...(found.trackingBranch ? { trackingBranch: found.trackingBranch } : {}),
      };
    },
  );
}
