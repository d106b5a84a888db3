import type { FastifyInstance } from 'fastify';
import { errorResponse } from '@slipway/contract';
import { maskDeep, NotFoundError } from '@slipway/core';
import { noOutputMasking } from '../../secrets/output-masking.ts';
import type { EnvironmentRuntime } from '../api-context.ts';
import { principalOf } from '../authorize.ts';
import { deployResponseOf } from '../environment-responses.ts';
import { jsonSchema } from '../json-schema.ts';

const POLL_MS = 300;
const HEARTBEAT_MS = 15_000;

/**
 * GET /api/v1/deploys/:deployId/events — a deploy's progress as server-sent events: a `deploy` event
 * with the deploy and every task (the body of GET /api/v1/deploys/{deployId}) whenever any of it
 * changes, then `end` once the deploy has finished. Read from the store, so it follows a deploy that
 * another server (sharing PostgreSQL) runs too.
 */
export function deployEventsRoute(app: FastifyInstance, runtime: EnvironmentRuntime): void {
  const { store } = runtime;
  app.get<{ Params: { deployId: string } }>(
    '/api/v1/deploys/:deployId/events',
    {
      schema: {
        summary: "A deploy's progress as server-sent events: `deploy` (the deploy with its tasks) on every change, then `end`",
        tags: ['deploys'],
        params: { type: 'object', properties: { deployId: { type: 'string' } }, required: ['deployId'] },
        response: { 404: jsonSchema(errorResponse) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const deploy = /^[0-9a-f-]{36}$/.test(request.params.deployId) ? await store.getDeploy(request.params.deployId) : undefined;
      const env = deploy ? await store.getById(deploy.environmentId) : undefined;
      if (!deploy || !env || env.workspace !== principal.workspace) {
        throw new NotFoundError(`no deploy "${request.params.deployId}"; list an environment's deploys with slipway deploys list <env>`);
      }
      let closed = false;
      request.raw.on('close', () => (closed = true));
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
      let last = '';
      let lastWrite = Date.now();
      const masker = await (runtime.masking ?? noOutputMasking).maskerOf(principal.workspace);
      try {
        for (;;) {
          const now = await store.getDeploy(deploy.id);
          if (!now) break;
          const body = JSON.stringify(maskDeep(deployResponseOf(env, now, await store.tasks(now.id)), masker));
          if (closed) return;
          if (body !== last) {
            res.write(`event: deploy\ndata: ${body}\n\n`);
            last = body;
            lastWrite = Date.now();
          } else if (Date.now() - lastWrite > HEARTBEAT_MS) {
            res.write(': still running\n\n');
            lastWrite = Date.now();
          }
          if (now.state !== 'queued' && now.state !== 'running') break;
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
          if (closed) return;
        }
        res.write('event: end\ndata: {}\n\n');
      } catch (error) {
        if (!closed) res.write(`event: error\ndata: ${JSON.stringify({ message: masker.mask((error as Error).message) })}\n\n`);
      }
      res.end();
    },
  );
}
