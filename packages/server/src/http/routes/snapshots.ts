import type { FastifyInstance } from 'fastify';
import { createSnapshotRequest, errorResponse, snapshotListResponse, snapshotResponse } from '@slipway/contract';
import { snapshotResponseOf } from '../../releases/release-views.ts';
import type { Releases } from '../../releases/start-releases.ts';
import { auditHook } from '../audit-trail.ts';
import { principalOf } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';
import { parseBody } from '../parse-body.ts';
import { pageAnswer, pageParameters, pageRequestOf } from '../page-cursor.ts';

const SNAPSHOTS_LIST = 'GET /api/v1/snapshots';
const refParams = { type: 'object', properties: { ref: { type: 'string' } }, required: ['ref'] } as const;
const errors = { 400: jsonSchema(errorResponse), 404: jsonSchema(errorResponse) };

/** Snapshots: the exact versions of a set's applications, made once and never changed. */
export function snapshotRoutes(app: FastifyInstance, releases: Releases): void {
  app.post(
    '/api/v1/snapshots',
    {
      schema: {
        summary: 'Make a snapshot of a set: every application at its tracking branch’s head (release), or one branch or pull request of one (pre-release)',
        tags: ['releases'],
        body: jsonSchema(createSnapshotRequest),
        response: { 200: jsonSchema(snapshotResponse), 201: jsonSchema(snapshotResponse), ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = parseBody(createSnapshotRequest, request.body);
      const { snapshot, created } = await releases.snapshots.create(
        principal.workspace,
        body,
        principal.name,
        new Date(),
        auditHook(request, (made) => ({ kind: 'snapshot.create', subject: made.alias, details: { id: made.id, set: made.set, kind: made.kind, components: made.components.map((c) => `${c.app}@${c.commit}`) } })),
      );
      return reply.code(created ? 201 : 200).send(snapshotResponseOf(snapshot));
    },
  );

  app.get<{ Querystring: { set?: string } }>(
    '/api/v1/snapshots',
    {
      schema: {
        summary: 'Snapshots of the workspace, newest first, a page at a time',
        tags: ['releases'],
        querystring: { type: 'object', properties: { set: { type: 'string' }, ...pageParameters } },
        response: { 200: jsonSchema(snapshotListResponse), 400: jsonSchema(errorResponse) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const page = await releases.catalog.pageSnapshots(principal.workspace, pageRequestOf(SNAPSHOTS_LIST, request.query, 2), request.query.set);
      return pageAnswer(SNAPSHOTS_LIST, page, snapshotResponseOf);
    },
  );

  app.get<{ Params: { ref: string } }>(
    '/api/v1/snapshots/:ref',
    { schema: { summary: 'A snapshot by alias, id or a unique prefix of its id', tags: ['releases'], params: refParams, response: { 200: jsonSchema(snapshotResponse), ...errors } } },
    async (request) => {
      const principal = principalOf(request);
      return snapshotResponseOf(await releases.snapshots.get(principal.workspace, request.params.ref));
    },
  );
}
