import type { FastifyInstance } from 'fastify';
import {
  createDeployRequest,
  createEnvironmentRequest,
  deployListResponse,
  deployResponse,
  environmentConfigRequest,
  environmentConfigResponse,
  environmentListResponse,
  environmentResponse,
  environmentVarsResponse,
  errorResponse,
  extendEnvironmentRequest,
} from '@slipway/contract';
import { maskDeep, NotFoundError } from '@slipway/core';
import { z } from 'zod';
import { readDeployLog } from '../../environments/deploy-log.ts';
import { refOf } from '../../workflows/workflow-engine.ts';
import type { EnvironmentRuntime } from '../api-context.ts';
import { auditHook, breakGlassOf, breakGlassQuery, variableChanges, withBreakGlass } from '../audit-trail.ts';
import { streamLines } from '../stream-lines.ts';
import { maskedAnswer, maskedLines } from '../../secrets/output-masking.ts';
import { principalOf } from '../authorize.ts';
import type { StoredEnvironment } from '../../store/environments.ts';
import { deployResponseOf, environmentResponseOf } from '../environment-responses.ts';
import { jsonSchema } from '../json-schema.ts';
import { pageAnswer, pageParameters, pageRequestOf } from '../page-cursor.ts';
import { parseBody, parseQuery } from '../parse-body.ts';

const ENVIRONMENTS_LIST = 'GET /api/v1/environments';
const DEPLOYS_LIST = 'GET /api/v1/environments/{id}/deploys';

/** The `:id` path parameter of every /environments/{id} route. */
export const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;
const created = z.object({ environment: environmentResponse, deploy: deployResponse });
/** The longest a GET of a deploy waits for its end (?wait=). */
const MAX_WAIT_SECONDS = 60;
const deployQuery = z.object({ wait: z.coerce.number().min(0).max(MAX_WAIT_SECONDS).optional().describe('seconds (fractions allowed) to wait for the deploy to end before answering') });
const errors = { 400: jsonSchema(errorResponse), 404: jsonSchema(errorResponse), 409: jsonSchema(errorResponse) };

/** Environments: create, list, get, delete, extend, config and variables; deploys of an environment. */
export function environmentEndpoints(app: FastifyInstance, runtime: EnvironmentRuntime): void {
  const { service, store } = runtime;
  const masked = <T>(workspace: string, answer: T) => maskedAnswer(runtime.masking, workspace, answer);
  /** An environment's answer with who protects it, if anyone. */
  const answerOf = async (env: StoredEnvironment, extra: Parameters<typeof environmentResponseOf>[1] = {}) => environmentResponseOf(env, { ...extra, guardian: await service.guardianOf(env.workspace, env.envId, env.app) });

  app.post(
    '/api/v1/environments',
    { schema: { summary: 'Create an environment (queues its setup deploy)', tags: ['environments'], querystring: breakGlassQuery, body: jsonSchema(createEnvironmentRequest), response: { 202: jsonSchema(created), ...errors } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const breakGlass = breakGlassOf(request);
      const body = parseBody(createEnvironmentRequest, request.body);
      const { environment, deploy } = await service.create(principal.workspace, body, principal.name, {
        ...(breakGlass ? { breakGlass } : {}),
        audit: auditHook(request, ({ environment, deploy }) =>
          withBreakGlass({ kind: 'environment.create', subject: environment.envId, details: { app: environment.app, kind: environment.kind, branch: environment.branch, variables: Object.keys(body.variables ?? {}).sort(), deploy: deploy.id } }, breakGlass),
        ),
      });
      return reply.code(202).send(await masked(principal.workspace, { environment: await answerOf(environment), deploy: deployResponseOf(environment, deploy) }));
    },
  );

  app.get<{ Querystring: { app?: string; id?: string } }>(
    '/api/v1/environments',
    {
      schema: {
        summary: "List the workspace's live environments, by application then id, a page at a time",
        tags: ['environments'],
        querystring: { type: 'object', properties: { app: { type: 'string' }, id: { type: 'string', description: 'only the environment with this id (an empty page when there is none, where GET /environments/{id} answers 404)' }, ...pageParameters } },
        response: { 200: jsonSchema(environmentListResponse), 400: jsonSchema(errorResponse) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { app, id } = request.query;
      const pageRequest = pageRequestOf(ENVIRONMENTS_LIST, request.query, 2);
      // The page, who governs environments and the secrets to mask are independent reads: side by
      // side they cost one round trip to PostgreSQL instead of three (bench/list-bench.ts).
      const [page, guardianOf, masker] = await Promise.all([
        store.pageLive(principal.workspace, pageRequest, { ...(app ? { app } : {}), ...(id ? { envId: id } : {}) }),
        service.guardiansOf(principal.workspace),
        runtime.masking?.maskerOf(principal.workspace),
      ]);
      const answer = pageAnswer(ENVIRONMENTS_LIST, page, (env) => environmentResponseOf(env, { guardian: guardianOf(env) }));
      return masker ? maskDeep(answer, masker) : answer;
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/environments/:id',
    { schema: { summary: 'Get an environment with its instances and last deploy', tags: ['environments'], params: idParams, response: { 200: jsonSchema(environmentResponse), 404: jsonSchema(errorResponse) } } },
    async (request) => {
      const principal = principalOf(request);
      const env = await service.live(principal.workspace, request.params.id);
      const lastDeploy = (await store.listDeploys(env.id, 1))[0];
      const spec = await service.currentSpec(env);
      const driver = runtime.drivers[spec.runtime];
      const instances = driver ? await driver.instances(refOf(env)) : [];
      return masked(principal.workspace, await answerOf(env, { ...(lastDeploy ? { lastDeploy } : {}), instances }));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/environments/:id',
    { schema: { summary: 'Delete an environment (queues its teardown)', tags: ['environments'], params: idParams, querystring: breakGlassQuery, response: { 202: jsonSchema(created), ...errors } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const breakGlass = breakGlassOf(request);
      const { environment, deploy } = await service.delete(principal.workspace, request.params.id, principal.name, {
        ...(breakGlass ? { breakGlass } : {}),
        audit: auditHook(request, ({ environment, deploy }) => withBreakGlass({ kind: 'environment.delete', subject: environment.envId, details: { app: environment.app, deploy: deploy.id } }, breakGlass)),
      });
      return reply.code(202).send(await masked(principal.workspace, { environment: await answerOf(environment), deploy: deployResponseOf(environment, deploy) }));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/environments/:id/extend',
    { schema: { summary: 'Extend an ephemeral environment: it expires the given time from now', tags: ['environments'], params: idParams, querystring: breakGlassQuery, body: jsonSchema(extendEnvironmentRequest), response: { 200: jsonSchema(environmentResponse), ...errors } } },
    async (request) => {
      const principal = principalOf(request);
      const breakGlass = breakGlassOf(request);
      const body = parseBody(extendEnvironmentRequest, request.body);
      const extended = await service.extend(principal.workspace, request.params.id, body.ttl, {
        ...(breakGlass ? { breakGlass } : {}),
        audit: auditHook(request, (env) => withBreakGlass({ kind: 'environment.extend', subject: env.envId, details: { app: env.app, ttl: body.ttl, expiresAt: env.expiresAt } }, breakGlass)),
      });
      return masked(principal.workspace, await answerOf(extended));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/environments/:id/config',
    { schema: { summary: "The environment's own variables and template version", tags: ['environments'], params: idParams, response: { 200: jsonSchema(environmentConfigResponse), 404: jsonSchema(errorResponse) } } },
    async (request) => {
      const principal = principalOf(request);
      const env = await service.live(principal.workspace, request.params.id);
      return { templateVersion: env.templateVersion, variables: env.variables };
    },
  );

  app.put<{ Params: { id: string } }>(
    '/api/v1/environments/:id/config',
    { schema: { summary: "Replace the environment's own variables (re-runs setup)", tags: ['environments'], params: idParams, querystring: breakGlassQuery, body: jsonSchema(environmentConfigRequest), response: { 202: jsonSchema(created), ...errors } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const breakGlass = breakGlassOf(request);
      const body = parseBody(environmentConfigRequest, request.body);
      const { environment, deploy } = await service.setConfig(principal.workspace, request.params.id, body.variables, principal.name, {
        ...(breakGlass ? { breakGlass } : {}),
        audit: auditHook(request, ({ environment, deploy, before }) =>
          withBreakGlass({ kind: 'environment.config-set', subject: environment.envId, details: { app: environment.app, ...variableChanges(before.variables, environment.variables), deploy: deploy.id } }, breakGlass),
        ),
      });
      return reply.code(202).send(await masked(principal.workspace, { environment: await answerOf(environment), deploy: deployResponseOf(environment, deploy) }));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/environments/:id/vars',
    { schema: { summary: "Every service's rendered variables; secrets appear as references, never values", tags: ['environments'], params: idParams, response: { 200: jsonSchema(environmentVarsResponse), 404: jsonSchema(errorResponse) } } },
    async (request) => {
      const principal = principalOf(request);
      const env = await service.live(principal.workspace, request.params.id);
      const spec = await service.currentSpec(env);
      const services: Record<string, Record<string, string>> = {};
      for (const s of spec.services) {
        services[s.name] = Object.fromEntries(
          Object.entries(s.env).map(([name, value]) => [name, typeof value === 'string' ? value : `(secret ${value.secret}${value.key ? `/${value.key}` : ''})`]),
        );
      }
      return { services };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/environments/:id/deploys',
    { schema: { summary: "Deploy a new commit (the branch's head when absent) with the patch workflow", tags: ['deploys'], params: idParams, querystring: breakGlassQuery, body: jsonSchema(createDeployRequest), response: { 202: jsonSchema(deployResponse), ...errors } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const breakGlass = breakGlassOf(request);
      const body = parseBody(createDeployRequest, request.body ?? {});
      const env = await service.live(principal.workspace, request.params.id);
      const deploy = await service.patch(principal.workspace, env.envId, body.commit, principal.name, {
        ...(breakGlass ? { breakGlass } : {}),
        audit: auditHook(request, (queued) => withBreakGlass({ kind: 'deploy.create', subject: env.envId, details: { app: env.app, deploy: queued.id, workflow: queued.workflow, commit: queued.commit } }, breakGlass)),
      });
      return reply.code(202).send(await masked(principal.workspace, deployResponseOf(env, deploy)));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/environments/:id/deploys',
    {
      schema: {
        summary: 'Deploys of an environment, newest first, a page at a time',
        tags: ['deploys'],
        params: idParams,
        querystring: { type: 'object', properties: pageParameters },
        response: { 200: jsonSchema(deployListResponse), 400: jsonSchema(errorResponse), 404: jsonSchema(errorResponse) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const pageRequest = pageRequestOf(DEPLOYS_LIST, request.query, 1);
      const env = await service.live(principal.workspace, request.params.id);
      return masked(principal.workspace, pageAnswer(DEPLOYS_LIST, await store.pageDeploys(env.id, pageRequest), (d) => deployResponseOf(env, d)));
    },
  );

  app.get<{ Params: { deployId: string }; Querystring: unknown }>(
    '/api/v1/deploys/:deployId',
    {
      schema: {
        summary: 'A deploy with the state of every task; with wait=<seconds>, answered once the deploy has ended or that many seconds have passed',
        tags: ['deploys'],
        params: { type: 'object', properties: { deployId: { type: 'string' } }, required: ['deployId'] },
        querystring: jsonSchema(deployQuery),
        response: { 200: jsonSchema(deployResponse), 404: jsonSchema(errorResponse) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { wait } = parseQuery(deployQuery, request.query);
      let deploy = /^[0-9a-f-]{36}$/.test(request.params.deployId) ? await store.getDeploy(request.params.deployId) : undefined;
      const env = deploy ? await store.getById(deploy.environmentId) : undefined;
      if (!deploy || !env || env.workspace !== principal.workspace) throw new NotFoundError(`no deploy "${request.params.deployId}"; list an environment's deploys with slipway deploys list <env>`);
      if (wait) {
        // Long-poll: the client learns the end as soon as it is stored, rather than at its next poll.
        await service.deployEnd(deploy.id, wait * 1000);
        deploy = (await store.getDeploy(deploy.id)) ?? deploy;
      }
      return masked(principal.workspace, deployResponseOf(env, deploy, await store.tasks(deploy.id)));
    },
  );

  app.get<{ Params: { deployId: string }; Querystring: { follow?: string } }>(
    '/api/v1/deploys/:deployId/log',
    {
      schema: {
        summary: "A deploy's log as text: a line as each task starts and ends, and the build and job output; with follow=true it streams new lines until the deploy ends",
        tags: ['deploys'],
        params: { type: 'object', properties: { deployId: { type: 'string' } }, required: ['deployId'] },
        querystring: { type: 'object', properties: { follow: { type: 'string', enum: ['true', 'false'] } } },
        response: { 404: jsonSchema(errorResponse) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const deploy = /^[0-9a-f-]{36}$/.test(request.params.deployId) ? await store.getDeploy(request.params.deployId) : undefined;
      const env = deploy ? await store.getById(deploy.environmentId) : undefined;
      if (!deploy || !env || env.workspace !== principal.workspace || !runtime.deployLogs) {
        throw new NotFoundError(`no deploy "${request.params.deployId}"; list an environment's deploys with slipway deploys list <env>`);
      }
      const path = runtime.deployLogs.path(deploy.id);
      const ended = async () => {
        const now = await store.getDeploy(deploy.id);
        return !now || (now.state !== 'queued' && now.state !== 'running');
      };
      await streamLines(request, reply, (signal) => maskedLines(runtime.masking, principal.workspace, readDeployLog(path, { follow: request.query.follow === 'true', ended, signal })));
    },
  );
}
