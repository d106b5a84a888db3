import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { auditListResponse, auditQuery, auditVerifyResponse, errorResponse, type AuditQuery } from '@slipway/contract';
import { InputError } from '@slipway/core';
import { exportAudit, listAudit, verifyAudit, type AuditFilter } from '../../store/audit-ledger.ts';
import type { Db } from '../../store/database-schema.ts';
import { principalOf } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';
import { encodeCursor, pageParameters, pageRequestOf } from '../page-cursor.ts';
import { parseQuery } from '../parse-body.ts';

const AUDIT_LIST = 'GET /api/v1/audit';

const filterQuery = {
  type: 'object',
  properties: {
    actor: { type: 'string', description: 'only entries by this user' },
    kind: { type: 'string', description: 'kinds, comma-separated; a trailing * matches a prefix (release.*)' },
    since: { type: 'string', description: 'ISO-8601: entries at or after this time' },
    until: { type: 'string', description: 'ISO-8601: entries before this time' },
  },
} as const;

function filterOf(workspace: string, query: AuditQuery): AuditFilter {
  return {
    workspace,
    ...(query.actor ? { actor: query.actor } : {}),
    ...(query.kind ? { kinds: query.kind.split(',') } : {}),
    ...(query.since ? { since: query.since } : {}),
    ...(query.until ? { until: query.until } : {}),
  };
}

/** The audit ledger: a workspace's entries, the check of the whole chain, and an export as JSON lines. */
export function auditRoutes(app: FastifyInstance, deps: { db: Db }): void {
  app.get(
    '/api/v1/audit',
    {
      schema: {
        summary: "The workspace's audit entries, newest first, a page at a time",
        tags: ['audit'],
        querystring: { ...filterQuery, properties: { ...filterQuery.properties, ...pageParameters, before: { type: 'integer', description: 'nextBefore of the previous page (cursor= does the same)' } } },
        response: { 200: jsonSchema(auditListResponse), 400: jsonSchema(errorResponse) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const pageRequest = pageRequestOf(AUDIT_LIST, request.query, 1);
      const query = parseQuery(auditQuery, request.query);
      // The ledger pages by seq, newest first: a cursor holds the last seq a page showed, as nextBefore does.
      const after = pageRequest.after?.[0];
      if (after !== undefined && typeof after !== 'number') throw new InputError(`invalid query parameter cursor: not a cursor of ${AUDIT_LIST}`, [{ severity: 'error', path: 'cursor', message: `not a cursor of ${AUDIT_LIST}` }]);
      const before = after ?? query.before;
      const page = await listAudit(deps.db, { ...filterOf(principal.workspace, query), ...(before !== undefined ? { before } : {}), limit: pageRequest.limit });
      return { ...page, nextCursor: page.nextBefore !== undefined ? encodeCursor(AUDIT_LIST, [page.nextBefore]) : null };
    },
  );

  app.get(
    '/api/v1/audit/verify',
    {
      schema: {
        summary: 'Walk the whole ledger and check its hash chain; names each edited, rewritten, inserted or deleted entry by seq',
        tags: ['audit'],
        response: { 200: jsonSchema(auditVerifyResponse) },
      },
    },
    async () => {
      const started = performance.now();
      const result = await verifyAudit(deps.db);
      return { ...result, durationMs: Math.round(performance.now() - started) };
    },
  );

  app.get(
    '/api/v1/audit/export',
    {
      schema: {
        summary: "The workspace's audit entries, oldest first, as JSON lines (application/x-ndjson), streamed",
        tags: ['audit'],
        querystring: filterQuery,
        response: { 200: { description: 'one audit entry (as in GET /api/v1/audit) per line', type: 'string' }, 400: jsonSchema(errorResponse) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const query = parseQuery(auditQuery, request.query);
      const filter = filterOf(principal.workspace, query);
      async function* lines() {
        for await (const entry of exportAudit(deps.db, filter)) yield `${JSON.stringify(entry)}\n`;
      }
      return reply.type('application/x-ndjson; charset=utf-8').send(Readable.from(lines(), { objectMode: false }));
    },
  );
}
