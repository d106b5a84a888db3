import type { FastifyInstance } from 'fastify';
import { durationToMs, errorResponse, execRequest, execResponse, instanceListResponse } from '@slipway/contract';
import { didYouMean, NotFoundError, type InstanceRef } from '@slipway/core';
import { refOf } from '../../workflows/workflow-engine.ts';
import type { EnvironmentRuntime } from '../api-context.ts';
import { audited, breakGlassOf, breakGlassQuery, withBreakGlass } from '../audit-trail.ts';
import { principalOf } from '../authorize.ts';
import { instanceResponseOf } from '../environment-responses.ts';
import { jsonSchema } from '../json-schema.ts';
import { parseBody } from '../parse-body.ts';
import { streamLines } from '../stream-lines.ts';
import { maskedAnswer, maskedLines } from '../../secrets/output-masking.ts';
import { pageAnswer, pageParameters, pageRequestOf } from '../page-cursor.ts';
import { pageInMemory } from '../../store/keyset-page.ts';

const INSTANCES_LIST = 'GET /api/v1/environments/{id}/instances';
const instanceParams = { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } }, required: ['id', 'name'] } as const;
const MAX_EXEC_TIMEOUT_MS = 10 * 60_000;

/** Instances of an environment: list, logs (optionally followed), exec. */
export function instanceRoutes(app: FastifyInstance, runtime: EnvironmentRuntime): void {
  const { service } = runtime;

  const environmentDriver = async (workspace: string, envId: string) => {
    const env = await service.live(workspace, envId);
    const spec = await service.currentSpec(env);
    const driver = runtime.drivers[spec.runtime];
    if (!driver) throw new NotFoundError(`environment ${envId} runs on the "${spec.runtime}" runtime, which this server does not have`);
    return { env, driver };
  };

  const findInstance = async (workspace: string, envId: string, name: string) => {
    const { env, driver } = await environmentDriver(workspace, envId);
    const instances = await driver.instances(refOf(env));
    const instance = instances.find((i) => i.name === name);
    if (!instance) {
      throw new NotFoundError(`environment ${envId} has no instance "${name}"${didYouMean(name, instances.map((i) => i.name))}; it has ${instances.map((i) => i.name).join(', ') || 'none'}`);
    }
    const ref: InstanceRef = { env: refOf(env), service: instance.service, replica: instance.replica };
    return { driver, ref, env };
  };

  app.get<{ Params: { id: string } }>(
    '/api/v1/environments/:id/instances',
    {
      schema: {
        summary: 'Instances of every service of an environment, with their state, by name, a page at a time',
        tags: ['instances'],
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        querystring: { type: 'object', properties: pageParameters },
        response: { 200: jsonSchema(instanceListResponse), 400: jsonSchema(errorResponse), 404: jsonSchema(errorResponse) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const pageRequest = pageRequestOf(INSTANCES_LIST, request.query, 1);
      const { env, driver } = await environmentDriver(principal.workspace, request.params.id);
      // The driver reports an environment's instances whole (a handful per service); they are paged here, by name.
      const page = pageInMemory(await driver.instances(refOf(env)), (i) => [i.name], pageRequest);
      return maskedAnswer(runtime.masking, principal.workspace, pageAnswer(INSTANCES_LIST, page, instanceResponseOf));
    },
  );

  app.get<{ Params: { id: string; name: string }; Querystring: { follow?: string; tail?: string } }>(
    '/api/v1/environments/:id/instances/:name/logs',
    {
      schema: {
        summary: "An instance's log as text, one line per line; with follow=true it stays open and streams new lines",
        tags: ['instances'],
        params: instanceParams,
        querystring: { type: 'object', properties: { follow: { type: 'string', enum: ['true', 'false'] }, tail: { type: 'string', pattern: '^[0-9]{1,6}$' } } },
        response: { 404: jsonSchema(errorResponse) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { driver, ref } = await findInstance(principal.workspace, request.params.id, request.params.name);
      const follow = request.query.follow === 'true';
      const tail = request.query.tail !== undefined ? Math.min(Number(request.query.tail), 100_000) : undefined;
      await streamLines(request, reply, (signal) => maskedLines(runtime.masking, principal.workspace, driver.logs(ref, { follow, ...(tail !== undefined ? { tail } : {}), signal })));
    },
  );

  app.post<{ Params: { id: string; name: string } }>(
    '/api/v1/environments/:id/instances/:name/exec',
    {
      schema: {
        summary: "Run a command in an instance's working directory and environment",
        tags: ['instances'],
        params: instanceParams,
        querystring: breakGlassQuery,
        body: jsonSchema(execRequest),
        response: { 200: jsonSchema(execResponse), 400: jsonSchema(errorResponse), 404: jsonSchema(errorResponse) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const breakGlass = breakGlassOf(request);
      const body = parseBody(execRequest, request.body);
      const { driver, ref, env } = await findInstance(principal.workspace, request.params.id, request.params.name);
      // A command in a protected environment's instance changes it outside any release.
      await service.refuseGoverned(principal.workspace, env.envId, env.app, 'exec', breakGlass ? { breakGlass } : {});
      const timeoutMs = Math.min(body.timeout ? durationToMs(body.timeout) : 60_000, MAX_EXEC_TIMEOUT_MS);
      // The entry comes first: a command that ran cannot be taken back, so none runs unrecorded. Its
      // text is not recorded, since it may carry a credential typed on the command line.
      await audited(request, async () => undefined, () => withBreakGlass({ kind: 'instance.exec', subject: `${env.envId}/${request.params.name}`, details: { app: env.app, program: body.command[0] } }, breakGlass));
      return maskedAnswer(runtime.masking, principal.workspace, await driver.exec(ref, body.command, { timeoutMs }));
    },
  );
}
