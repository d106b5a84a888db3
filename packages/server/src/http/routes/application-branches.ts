import type { FastifyInstance } from 'fastify';
import { applicationBranchesResponse, errorResponse } from '@slipway/contract';
import { InputError, NotFoundError } from '@slipway/core';
import type { Repositories } from '../../git/repositories.ts';
import { getApplication } from '../../store/applications.ts';
import type { ApiDependencies } from '../api-context.ts';
import { requireRole } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';

/** GET /api/v1/applications/:name/branches — the branches of the application's repository (for the portal's branch picker). */
export function applicationBranchesRoute(app: FastifyInstance, deps: ApiDependencies & { repositories: Repositories }): void {
  app.get<{ Params: { name: string } }>(
    '/api/v1/applications/:name/branches',
    {
      schema: {
        summary: "The branches of an application's git repository, with the commit each points at",
        tags: ['applications'],
        params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        response: { 200: jsonSchema(applicationBranchesResponse), 400: jsonSchema(errorResponse), 404: jsonSchema(errorResponse) },
      },
    },
    async (request) => {
      const principal = requireRole(request, 'viewer');
      const found = await getApplication(deps.db, principal.workspace, request.params.name);
      if (!found) throw new NotFoundError(`no application "${request.params.name}" in workspace ${principal.workspace}`);
      if (!found.repositoryUrl) throw new InputError(`application ${found.name} was registered from a manifest, not a repository: it has no branches`);
      const { branches, defaultBranch } = await deps.repositories.heads(found.repositoryUrl);
      return {
        items: [...branches].map(([name, commit]) => ({ name, commit })).sort((a, b) => a.name.localeCompare(b.name)),
        ...(defaultBranch ? { defaultBranch } : {}),
        ...(found.trackingBranch ? { trackingBranch: found.trackingBranch } : {}),
      };
    },
  );
}
