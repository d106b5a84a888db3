import type { FastifyInstance } from 'fastify';
import { createdTokenResponse, createTokenRequest, errorResponse, tokenListResponse, tokenResponse, type BuiltInRole, type TokenResponse } from '@slipway/contract';
import type { IdentityService } from '../../identity/identity-service.ts';
import type { ApiToken } from '../../store/api-tokens.ts';
import { principalOf } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';
import { parseBody } from '../parse-body.ts';
import { pageAnswer, pageParameters, pageRequestOf } from '../page-cursor.ts';

const TOKENS_LIST = 'GET /api/v1/tokens';
const errors = { 400: jsonSchema(errorResponse), 403: jsonSchema(errorResponse), 404: jsonSchema(errorResponse), 409: jsonSchema(errorResponse) };

function tokenResponseOf(token: ApiToken & { createdAt: string; lastUsedAt?: string; revokedAt?: string }): TokenResponse {
  return {
    id: token.id,
    name: token.name,
    user: token.user,
    workspace: token.workspace,
    role: token.role as BuiltInRole,
    createdAt: token.createdAt,
    ...(token.lastUsedAt ? { lastUsedAt: token.lastUsedAt } : {}),
    ...(token.revokedAt ? { revokedAt: token.revokedAt } : {}),
  };
}

/** API tokens: each belongs to a user and acts in one workspace; the secret is shown once, only its hash is kept. */
export function tokenRoutes(app: FastifyInstance, identity: IdentityService): void {
  app.get<{ Querystring: { user?: string; revoked?: string } }>(
    '/api/v1/tokens',
    {
      schema: {
        summary: "Tokens acting in the workspace: the caller's own, or (admins) everyone's",
        tags: ['tokens'],
        querystring: { type: 'object', properties: { user: { type: 'string', description: "one user's tokens (admins: anyone's)" }, revoked: { type: 'string', enum: ['true', 'false'], description: 'include revoked tokens' }, ...pageParameters } },
        response: { 200: jsonSchema(tokenListResponse), 403: jsonSchema(errorResponse), 404: jsonSchema(errorResponse) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const page = await identity.pageTokens(principal, { ...(request.query.user ? { user: request.query.user } : {}), includeRevoked: request.query.revoked === 'true' }, pageRequestOf(TOKENS_LIST, request.query, 2));
      return pageAnswer(TOKENS_LIST, page, tokenResponseOf);
    },
  );

  app.post(
    '/api/v1/tokens',
    {
      schema: {
        summary: 'Create a token for the caller, or (admins) for another member; the answer holds the secret, this once',
        tags: ['tokens'],
        body: jsonSchema(createTokenRequest),
        response: { 201: jsonSchema(createdTokenResponse), ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = parseBody(createTokenRequest, request.body);
      const { token, secret } = await identity.createToken(principal, body);
      return reply.code(201).send({ token: tokenResponseOf(token), secret });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/tokens/:id',
    {
      schema: {
        summary: "Revoke a token: the caller's own, or (admins) anyone's in the workspace",
        tags: ['tokens'],
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        response: { 200: jsonSchema(tokenResponse), ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return tokenResponseOf(await identity.revokeToken(principal, request.params.id));
    },
  );
}
