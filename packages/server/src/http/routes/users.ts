import type { FastifyInstance } from 'fastify';
import { createUserRequest, errorResponse, grantRolesRequest, revokeRolesRequest, revokeRolesResponse, userListResponse, userResponse, type UserResponse } from '@slipway/contract';
import type { IdentityService } from '../../identity/identity-service.ts';
import type { Member } from '../../store/identity.ts';
import { principalOf } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';
import { parseBody } from '../parse-body.ts';
import { pageAnswer, pageParameters, pageRequestOf } from '../page-cursor.ts';

const nameParams = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } as const;
const USERS_LIST = 'GET /api/v1/users';
const errors = { 400: jsonSchema(errorResponse), 404: jsonSchema(errorResponse), 409: jsonSchema(errorResponse) };

export function userResponseOf(member: Member): UserResponse {
  return { name: member.name, workspace: member.workspace, role: member.role, approverRoles: member.approverRoles, createdAt: member.createdAt };
}

/** Users of the workspace a request acts in: members, their role and approver roles. */
export function userRoutes(app: FastifyInstance, identity: IdentityService): void {
  app.get(
    '/api/v1/users',
    {
      schema: {
        summary: "The workspace's members with their role and approver roles, by name, a page at a time",
        tags: ['users'],
        querystring: { type: 'object', properties: pageParameters },
        response: { 200: jsonSchema(userListResponse), 400: jsonSchema(errorResponse) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return pageAnswer(USERS_LIST, await identity.pageUsers(principal, pageRequestOf(USERS_LIST, request.query, 1)), userResponseOf);
    },
  );

  app.post(
    '/api/v1/users',
    { schema: { summary: 'Create a user with a role (and approver roles) in the workspace', tags: ['users'], body: jsonSchema(createUserRequest), response: { 201: jsonSchema(userResponse), ...errors } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = parseBody(createUserRequest, request.body);
      return reply.code(201).send(userResponseOf(await identity.createUser(principal, body)));
    },
  );

  app.get<{ Params: { name: string } }>(
    '/api/v1/users/:name',
    { schema: { summary: 'A member of the workspace: role and approver roles', tags: ['users'], params: nameParams, response: { 200: jsonSchema(userResponse), 404: jsonSchema(errorResponse) } } },
    async (request) => {
      const principal = principalOf(request);
      return userResponseOf(await identity.getUser(principal, request.params.name));
    },
  );

  app.post<{ Params: { name: string } }>(
    '/api/v1/users/:name/grant',
    {
      schema: {
        summary: "Set a user's role in the workspace (adding them to it) and/or add approver roles",
        tags: ['users'],
        params: nameParams,
        body: jsonSchema(grantRolesRequest),
        response: { 200: jsonSchema(userResponse), ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const body = parseBody(grantRolesRequest, request.body);
      return userResponseOf(await identity.grant(principal, request.params.name, body));
    },
  );

  app.post<{ Params: { name: string } }>(
    '/api/v1/users/:name/revoke',
    {
      schema: {
        summary: "Remove approver roles, or the user's role (which removes them from the workspace)",
        tags: ['users'],
        params: nameParams,
        body: jsonSchema(revokeRolesRequest),
        response: { 200: jsonSchema(revokeRolesResponse), ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const body = parseBody(revokeRolesRequest, request.body);
      const result = await identity.revoke(principal, request.params.name, body);
      if ('removed' in result) return { name: result.name, workspace: result.workspace, removed: true };
      return { name: result.name, workspace: result.workspace, removed: false, user: userResponseOf(result) };
    },
  );
}
