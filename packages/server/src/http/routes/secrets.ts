import type { FastifyInstance } from 'fastify';
import { dnsLabel, errorResponse, putSecretRequest, secretListResponse } from '@slipway/contract';
import { InputError, NotFoundError } from '@slipway/core';
import type { SecretStore } from '../../store/secrets.ts';
import { auditRequest } from '../audit-trail.ts';
import { requireRole } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';
import { parseBody } from '../parse-body.ts';

const nameParams = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } as const;

function secretName(name: string): string {
  if (!dnsLabel.safeParse(name).success) throw new InputError(`secret name ${JSON.stringify(name)} must be a lowercase DNS label (letters, digits, "-")`);
  return name;
}

/** Workspace secrets: written and listed by name; their values never leave the server. */
export function secretRoutes(app: FastifyInstance, secrets: SecretStore): void {
  app.put<{ Params: { name: string } }>(
    '/api/v1/secrets/:name',
    { schema: { summary: 'Set a secret (encrypted at rest; the value is never returned)', tags: ['secrets'], params: nameParams, body: jsonSchema(putSecretRequest), response: { 400: jsonSchema(errorResponse) } } },
    async (request, reply) => {
      const principal = requireRole(request, 'developer');
      const body = parseBody(putSecretRequest, request.body);
      await secrets.set(principal.workspace, secretName(request.params.name), body.value);
      await auditRequest(request, { kind: 'secret.set', subject: request.params.name });
      return reply.code(204).send();
    },
  );
  app.get('/api/v1/secrets', { schema: { summary: "Names of the workspace's secrets", tags: ['secrets'], response: { 200: jsonSchema(secretListResponse) } } }, async (request) => {
    const principal = requireRole(request, 'viewer');
    return { items: (await secrets.names(principal.workspace)).map((name) => ({ name })) };
  });
  app.delete<{ Params: { name: string } }>(
    '/api/v1/secrets/:name',
    { schema: { summary: 'Delete a secret', tags: ['secrets'], params: nameParams, response: { 404: jsonSchema(errorResponse) } } },
    async (request, reply) => {
      const principal = requireRole(request, 'developer');
      if (!(await secrets.delete(principal.workspace, request.params.name))) throw new NotFoundError(`no secret "${request.params.name}" in workspace ${principal.workspace}`);
      await auditRequest(request, { kind: 'secret.delete', subject: request.params.name });
      return reply.code(204).send();
    },
  );
}
