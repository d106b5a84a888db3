import type { FastifyInstance } from 'fastify';
import { dnsLabel, errorResponse, putSecretRequest, secretListResponse } from '@slipway/contract';
import { InputError, NotAllowedError, NotFoundError, protectedSecretRefusal } from '@slipway/core';
import type { EnvironmentService } from '../../environments/environment-service.ts';
import type { SecretStore } from '../../store/secrets.ts';
import { audited, breakGlassOf, breakGlassQuery, withBreakGlass } from '../audit-trail.ts';
import { principalOf } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';
import { parseBody } from '../parse-body.ts';
import { pageAnswer, pageParameters, pageRequestOf } from '../page-cursor.ts';

const SECRETS_LIST = 'GET /api/v1/secrets';
const nameParams = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } as const;

function secretName(name: string): string {
  if (!dnsLabel.safeParse(name).success) throw new InputError(`secret name ${JSON.stringify(name)} must be a lowercase DNS label (letters, digits, "-")`);
  return name;
}

/**
 * Refuses changing a secret that protected environments read, unless an admin breaks glass: they
 * would take the new value at their next deploy, outside any release.
 */
async function refuseGoverned(environments: Pick<EnvironmentService, 'governedReaders'> | undefined, workspace: string, name: string, breakGlass: { reason: string } | undefined, command: string): Promise<void> {
  if (breakGlass || !environments) return;
  const readers = await environments.governedReaders(workspace, name);
  if (readers.length) throw new NotAllowedError(protectedSecretRefusal(name, readers, command));
}

/** Workspace secrets: written and listed by name; their values never leave the server. */
export function secretRoutes(app: FastifyInstance, secrets: SecretStore, environments?: Pick<EnvironmentService, 'governedReaders'>): void {
  app.put<{ Params: { name: string } }>(
    '/api/v1/secrets/:name',
    { schema: { summary: 'Set a secret (encrypted at rest; the value is never returned)', tags: ['secrets'], params: nameParams, querystring: breakGlassQuery, body: jsonSchema(putSecretRequest), response: { 400: jsonSchema(errorResponse) } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const breakGlass = breakGlassOf(request);
      const body = parseBody(putSecretRequest, request.body);
      const name = secretName(request.params.name);
      await refuseGoverned(environments, principal.workspace, name, breakGlass, `slipway secrets set ${name}`);
      await audited(request, (tx) => secrets.in(tx).set(principal.workspace, name, body.value), () => withBreakGlass({ kind: 'secret.set', subject: name }, breakGlass));
      return reply.code(204).send();
    },
  );
  app.get(
    '/api/v1/secrets',
    { schema: { summary: "Names of the workspace's secrets, in order, a page at a time", tags: ['secrets'], querystring: { type: 'object', properties: pageParameters }, response: { 200: jsonSchema(secretListResponse), 400: jsonSchema(errorResponse) } } },
    async (request) => {
      const principal = principalOf(request);
      return pageAnswer(SECRETS_LIST, await secrets.pageNames(principal.workspace, pageRequestOf(SECRETS_LIST, request.query, 1)), (name) => ({ name }));
    },
  );
  app.delete<{ Params: { name: string } }>(
    '/api/v1/secrets/:name',
    { schema: { summary: 'Delete a secret', tags: ['secrets'], params: nameParams, querystring: breakGlassQuery, response: { 404: jsonSchema(errorResponse) } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const breakGlass = breakGlassOf(request);
      await refuseGoverned(environments, principal.workspace, request.params.name, breakGlass, `slipway secrets delete ${request.params.name}`);
      await audited(
        request,
        async (tx) => {
          if (!(await secrets.in(tx).delete(principal.workspace, request.params.name))) throw new NotFoundError(`no secret "${request.params.name}" in workspace ${principal.workspace}`);
        },
        () => withBreakGlass({ kind: 'secret.delete', subject: request.params.name }, breakGlass),
      );
      return reply.code(204).send();
    },
  );
}
