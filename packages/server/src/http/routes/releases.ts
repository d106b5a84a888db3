import type { FastifyInstance } from 'fastify';
import {
  abortReleaseRequest,
  approveReleaseRequest,
  createReleaseRequest,
  errorResponse,
  promoteReleaseRequest,
  rejectReleaseRequest,
  releaseListResponse,
  releaseResponse,
  rollbackReleaseRequest,
} from '@slipway/contract';
import { releaseResponseOf } from '../../releases/release-views.ts';
import type { Releases } from '../../releases/start-releases.ts';
import { principalOf } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';
import { parseBody } from '../parse-body.ts';
import { releaseActionRoutes } from './release-actions.ts';
import { pageAnswer, pageParameters, pageRequestOf } from '../page-cursor.ts';

const RELEASES_LIST = 'GET /api/v1/releases';
const refParams = { type: 'object', properties: { ref: { type: 'string', description: 'release number (12) or id' } }, required: ['ref'] } as const;
const errors = { 400: jsonSchema(errorResponse), 403: jsonSchema(errorResponse), 404: jsonSchema(errorResponse), 409: jsonSchema(errorResponse) };

/**
 * Releases: created from a snapshot, moved stage by stage by the controller; people approve,
 * reject, promote (deliberately, past a rollback's hold), abort and roll back.
 */
export function releaseRoutes(app: FastifyInstance, releases: Releases): void {
  const { service } = releases;
  releaseActionRoutes(app, releases);

  app.post(
    '/api/v1/releases',
    {
      schema: {
        summary: "Release a snapshot along its set's track (hotfix: along hotfixStages); it enters the first stage at once",
        tags: ['releases'],
        body: jsonSchema(createReleaseRequest),
        response: { 201: jsonSchema(releaseResponse), ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = parseBody(createReleaseRequest, request.body);
      return reply.code(201).send(releaseResponseOf(await service.create(principal.workspace, body, principal.name)));
    },
  );

  app.get<{ Querystring: { track?: string; set?: string; active?: string } }>(
    '/api/v1/releases',
    {
      schema: {
        summary: 'Releases of the workspace, newest first, a page at a time',
        tags: ['releases'],
        querystring: { type: 'object', properties: { track: { type: 'string' }, set: { type: 'string' }, active: { type: 'string', enum: ['true', 'false'] }, ...pageParameters } },
        response: { 200: jsonSchema(releaseListResponse), 400: jsonSchema(errorResponse) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { track, set, active } = request.query;
      const page = await service.page(principal.workspace, { ...(track ? { track } : {}), ...(set ? { set } : {}), ...(active === 'true' ? { active: true } : {}) }, pageRequestOf(RELEASES_LIST, request.query, 1));
      return pageAnswer(RELEASES_LIST, page, (r) => releaseResponseOf(r));
    },
  );

  app.get<{ Params: { ref: string } }>(
    '/api/v1/releases/:ref',
    { schema: { summary: 'A release: each stage with its deploys, test jobs, gates and approvals, and every transition', tags: ['releases'], params: refParams, response: { 200: jsonSchema(releaseResponse), ...errors } } },
    async (request) => {
      const principal = principalOf(request);
      return releaseResponseOf(await service.get(principal.workspace, request.params.ref));
    },
  );

  app.post<{ Params: { ref: string } }>(
    '/api/v1/releases/:ref/approve',
    {
      schema: {
        summary: "Approve the release's current stage (needs an approver role the stage names; never the release's author unless the track allows)",
        tags: ['releases'],
        params: refParams,
        body: jsonSchema(approveReleaseRequest),
        response: { 200: jsonSchema(releaseResponse), ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const body = parseBody(approveReleaseRequest, request.body ?? {});
      return releaseResponseOf(await service.approve(principal.workspace, request.params.ref, releases.identity(principal), body.comment));
    },
  );

  app.post<{ Params: { ref: string } }>(
    '/api/v1/releases/:ref/reject',
    {
      schema: {
        summary: "Reject the release in its current stage: it ends Rejected (an approver of the stage, or a release manager)",
        tags: ['releases'],
        params: refParams,
        body: jsonSchema(rejectReleaseRequest),
        response: { 200: jsonSchema(releaseResponse), ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const body = parseBody(rejectReleaseRequest, request.body);
      return releaseResponseOf(await service.reject(principal.workspace, request.params.ref, releases.identity(principal), body.reason));
    },
  );

  app.post<{ Params: { ref: string } }>(
    '/api/v1/releases/:ref/promote',
    {
      schema: {
        summary: 'Promote deliberately: into a stage a rollback holds (lifting the hold), or out of a stage whose gates all hold',
        tags: ['releases'],
        params: refParams,
        body: jsonSchema(promoteReleaseRequest),
        response: { 200: jsonSchema(releaseResponse), ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const body = parseBody(promoteReleaseRequest, request.body ?? {});
      return releaseResponseOf(await service.promote(principal.workspace, request.params.ref, principal.name, body.reason));
    },
  );

  app.post<{ Params: { ref: string } }>(
    '/api/v1/releases/:ref/abort',
    { schema: { summary: 'Abort the release where it stands', tags: ['releases'], params: refParams, body: jsonSchema(abortReleaseRequest), response: { 200: jsonSchema(releaseResponse), ...errors } } },
    async (request) => {
      const principal = principalOf(request);
      const body = parseBody(abortReleaseRequest, request.body ?? {});
      return releaseResponseOf(await service.abort(principal.workspace, request.params.ref, principal.name, body.reason));
    },
  );

  app.post<{ Params: { ref: string } }>(
    '/api/v1/releases/:ref/rollback',
    {
      schema: {
        summary: 'Roll a stage back to the snapshot promoted there before this release; automatic promotion into it is held until someone promotes deliberately',
        tags: ['releases'],
        params: refParams,
        body: jsonSchema(rollbackReleaseRequest),
        response: { 201: jsonSchema(releaseResponse), ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = parseBody(rollbackReleaseRequest, request.body ?? {});
      const rollback = await service.rollback(principal.workspace, request.params.ref, principal.name, { ...(body.stage ? { stage: body.stage } : {}), ...(body.reason ? { reason: body.reason } : {}) });
      return reply.code(201).send(releaseResponseOf(rollback));
    },
  );
}
