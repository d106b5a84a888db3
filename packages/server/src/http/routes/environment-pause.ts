import type { FastifyInstance } from 'fastify';
import { environmentResponse, errorResponse, pauseEnvironmentRequest } from '@slipway/contract';
import type { EnvironmentPauses, PauseOutcome } from '../../environments/pause.ts';
import { maskedAnswer } from '../../secrets/output-masking.ts';
import type { EnvironmentRuntime } from '../api-context.ts';
import { auditHook, breakGlassOf, breakGlassQuery, withBreakGlass } from '../audit-trail.ts';
import { principalOf } from '../authorize.ts';
import { environmentResponseOf } from '../environment-responses.ts';
import { jsonSchema } from '../json-schema.ts';
import { parseBody } from '../parse-body.ts';
import { idParams } from './environments.ts';

// Pause and resume an environment (environments/pause.ts): each audited in the transaction that
// changes its status; a protected environment is refused as its other direct changes are.

const errors = { 400: jsonSchema(errorResponse), 403: jsonSchema(errorResponse), 404: jsonSchema(errorResponse), 409: jsonSchema(errorResponse) };

export function environmentPauseRoutes(app: FastifyInstance, runtime: EnvironmentRuntime, pauses: EnvironmentPauses): void {
  const { service } = runtime;
  const answerOf = async (outcome: PauseOutcome, workspace: string) => {
    const env = outcome.environment;
    return maskedAnswer(runtime.masking, workspace, environmentResponseOf(env, { guardian: await service.guardianOf(env.workspace, env.envId, env.app) }));
  };

  app.post<{ Params: { id: string } }>(
    '/api/v1/environments/:id/pause',
    {
      schema: {
        summary: "Pause an environment: stop its services, keeping their state (volumes, datasets, config); its routes answer a paused page (503 with Retry-After) until it is resumed",
        tags: ['environments'],
        params: idParams,
        querystring: breakGlassQuery,
        body: jsonSchema(pauseEnvironmentRequest),
        response: { 200: jsonSchema(environmentResponse), ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const breakGlass = breakGlassOf(request);
      const body = parseBody(pauseEnvironmentRequest, request.body ?? {});
      const wakeOnRequest = body.wakeOnRequest === true;
      const paused = await pauses.pause(
        principal.workspace,
        request.params.id,
        {
          ...(breakGlass ? { breakGlass } : {}),
          audit: auditHook(request, ({ environment, runtime: on }) => withBreakGlass({ kind: 'environment.pause', subject: environment.envId, details: { app: environment.app, runtime: on, wakeOnRequest } }, breakGlass)),
        },
        { wakeOnRequest },
      );
      return answerOf(paused, principal.workspace);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/environments/:id/resume',
    {
      schema: {
        summary: 'Resume a paused environment: start its services again (no job runs), wait until they are ready, and route to them; status failed with the reason when one does not become ready',
        tags: ['environments'],
        params: idParams,
        querystring: breakGlassQuery,
        response: { 200: jsonSchema(environmentResponse), ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const breakGlass = breakGlassOf(request);
      const resumed = await pauses.resume(principal.workspace, request.params.id, {
        ...(breakGlass ? { breakGlass } : {}),
        audit: auditHook(request, ({ environment, runtime: on, failure }) =>
          withBreakGlass({ kind: 'environment.resume', subject: environment.envId, details: { app: environment.app, runtime: on, outcome: failure?.outcome ?? 'succeeded', ...(failure ? { reason: failure.reason } : {}) } }, breakGlass),
        ),
      });
      return answerOf(resumed, principal.workspace);
    },
  );
}
