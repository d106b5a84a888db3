import type { FastifyInstance } from 'fastify';
import { createWorkspaceRequest, errorResponse, workspaceListResponse, workspaceResponse } from '@slipway/contract';
import type { IdentityService } from '../../identity/identity-service.ts';
import { principalOf } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';
import { parseBody } from '../parse-body.ts';
import { pageAnswer, pageParameters, pageRequestOf } from '../page-cursor.ts';

const WORKSPACES_LIST = 'GET /api/v1/workspaces';

/** Workspaces: the caller's, and new ones (whose creator becomes their admin). */
export function workspaceRoutes(app: FastifyInstance, identity: IdentityService): void {
  app.get(
    '/api/v1/workspaces',
    {
      schema: {
        summary: 'The workspaces the caller is a member of, with their role and approver roles in each, by name, a page at a time',
        tags: ['workspaces'],
        querystring: { type: 'object', properties: pageParameters },
        response: { 200: jsonSchema(workspaceListResponse), 400: jsonSchema(errorResponse) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return pageAnswer(WORKSPACES_LIST, await identity.pageWorkspaces(principal, pageRequestOf(WORKSPACES_LIST, request.query, 1)), (w) => w);
    },
  );

  app.post(
    '/api/v1/workspaces',
    {
      schema: {
        summary: 'Create a workspace; the caller becomes its admin',
        tags: ['workspaces'],
        body: jsonSchema(createWorkspaceRequest),
        response: { 201: jsonSchema(workspaceResponse), 400: jsonSchema(errorResponse), 409: jsonSchema(errorResponse) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = parseBody(createWorkspaceRequest, request.body);
      return reply.code(201).send(await identity.createWorkspace(principal, body.name));
    },
  );
}
