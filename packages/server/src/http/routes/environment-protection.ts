import type { FastifyInstance } from 'fastify';
import { environmentProtectionResponse, errorResponse, protectEnvironmentRequest } from '@slipway/contract';
import { governedBy, InputError, NotFoundError } from '@slipway/core';
import { EnvironmentProtections } from '../../store/environment-protections.ts';
import type { EnvironmentRuntime } from '../api-context.ts';
import { audited } from '../audit-trail.ts';
import { principalOf } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';
import { parseBody } from '../parse-body.ts';
import { idParams } from './environments.ts';

// An admin's own protection of an environment that no track or admission names (a customer demo,
// a shared database): from then on it changes only through releases, or by break-glass, exactly as
// a governed one. The mark is on the id, so it outlives a delete and protects the id recreated.

const errors = { 400: jsonSchema(errorResponse), 403: jsonSchema(errorResponse), 404: jsonSchema(errorResponse) };

export function environmentProtectionRoutes(app: FastifyInstance, runtime: EnvironmentRuntime): void {
  const { service } = runtime;

  app.put<{ Params: { id: string } }>(
    '/api/v1/environments/:id/protection',
    { schema: { summary: 'Mark an environment protected (admins): only releases, or break-glass, change it from then on', tags: ['environments'], params: idParams, body: jsonSchema(protectEnvironmentRequest), response: { 200: jsonSchema(environmentProtectionResponse), ...errors } } },
    async (request) => {
      const principal = principalOf(request);
      const body = parseBody(protectEnvironmentRequest, request.body);
      const env = await service.live(principal.workspace, request.params.id);
      // An ephemeral environment expires and makes room for newer ones by itself; only a permanent one can be held still.
      if (env.kind === 'ephemeral') throw new InputError(`environment ${env.envId} is ephemeral: it expires and is torn down by its lifecycle, so it cannot be marked protected; create a permanent one (slipway envs create --permanent) to protect`);
      const mark = await audited(
        request,
        (tx) => new EnvironmentProtections(tx).mark({ workspace: principal.workspace, envId: env.envId, by: principal.name, reason: body.reason }),
        (m) => ({ kind: 'environment.protect', subject: m.envId, details: { app: env.app, reason: m.reason } }),
      );
      return { envId: mark.envId, by: mark.by, reason: mark.reason, at: mark.at };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/environments/:id/protection',
    { schema: { summary: "Lift an admin's protection mark from an environment (admins); a track or admission that names it still protects it", tags: ['environments'], params: idParams, response: { 200: jsonSchema(environmentProtectionResponse), ...errors } } },
    async (request) => {
      const principal = principalOf(request);
      const envId = request.params.id;
      const lifted = await audited(
        request,
        async (tx) => {
          const was = await new EnvironmentProtections(tx).unmark(principal.workspace, envId);
          if (!was) throw new NotFoundError(`environment ${envId} carries no protection mark in workspace ${principal.workspace}; slipway envs get ${envId} shows what protects it`);
          return was;
        },
        (m) => ({ kind: 'environment.unprotect', subject: m.envId, details: { reason: m.reason, markedBy: m.by } }),
      );
      const env = await runtime.store.getLive(principal.workspace, envId);
      const still = env ? await service.guardianOf(principal.workspace, envId, env.app) : undefined;
      return { envId: lifted.envId, by: lifted.by, reason: lifted.reason, at: lifted.at, ...(still ? { governedBy: governedBy(still) } : {}) };
    },
  );
}
