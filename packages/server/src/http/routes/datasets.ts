import type { FastifyInstance } from 'fastify';
import { datasetListResponse, datasetResponse, errorResponse } from '@slipway/contract';
import { NotFoundError } from '@slipway/core';
import { datasetView, type DatasetPools } from '../../datasets/dataset-pools.ts';
import type { Db } from '../../store/database-schema.ts';
import { DatasetStore } from '../../store/datasets.ts';
import { audited } from '../audit-trail.ts';
import { principalOf } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';
import { pageAnswer, pageParameters, pageRequestOf } from '../page-cursor.ts';

const DATASETS_LIST = 'GET /api/v1/datasets';
const params = { type: 'object', properties: { app: { type: 'string' }, name: { type: 'string' } }, required: ['app', 'name'] } as const;

/** Datasets' pools (docs/datasets.md): listed and shown from the store; refreshed by the pools when the server has a dataset server. */
export function datasetRoutes(app: FastifyInstance, deps: { db: Db; datasets?: DatasetPools }): void {
  const store = new DatasetStore(deps.db);
  app.get(
    '/api/v1/datasets',
    { schema: { summary: "The workspace's datasets and their pools, a page at a time", tags: ['datasets'], querystring: { type: 'object', properties: pageParameters }, response: { 200: jsonSchema(datasetListResponse), 400: jsonSchema(errorResponse) } } },
    async (request) => {
      const principal = principalOf(request);
      const page = await store.page(principal.workspace, pageRequestOf(DATASETS_LIST, request.query, 2));
      const items = await Promise.all(page.items.map((row) => datasetView(store, row)));
      return pageAnswer(DATASETS_LIST, { ...page, items }, (item) => item);
    },
  );
  app.get<{ Params: { app: string; name: string } }>(
    '/api/v1/datasets/:app/:name',
    { schema: { summary: "A dataset: its golden copy's state and its clones", tags: ['datasets'], params, response: { 200: jsonSchema(datasetResponse), 404: jsonSchema(errorResponse) } } },
    async (request) => {
      const principal = principalOf(request);
      const row = await store.get(principal.workspace, request.params.app, request.params.name);
      if (!row) throw new NotFoundError(`no dataset ${request.params.name} of application ${request.params.app} in workspace ${principal.workspace}`);
      return datasetView(store, row);
    },
  );
  app.post<{ Params: { app: string; name: string } }>(
    '/api/v1/datasets/:app/:name/refresh',
    { schema: { summary: 'Make the golden copy again from the source and replace the unattached clones (attached ones are never touched)', tags: ['datasets'], params, response: { 202: jsonSchema(datasetResponse), 404: jsonSchema(errorResponse) } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const { app: appName, name } = request.params;
      const row = await audited(
        request,
        async (tx) => {
          const found = await store.in(tx).get(principal.workspace, appName, name);
          if (!found) throw new NotFoundError(`no dataset ${name} of application ${appName} in workspace ${principal.workspace}`);
          await store.in(tx).update(found.id, { refresh_requested_at: new Date().toISOString() });
          return found;
        },
        () => ({ kind: 'dataset.refresh', subject: `${appName}/${name}` }),
      );
      // Recorded in the store: the server whose pools hold the dataset acts on it (at once, when it is this one).
      deps.datasets?.changed(principal.workspace, appName, [name]);
      return reply.code(202).send(await datasetView(store, (await store.get(principal.workspace, appName, name)) ?? row));
    },
  );
}
