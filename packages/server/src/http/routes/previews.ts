import type { FastifyInstance } from 'fastify';
import { errorResponse, previewListResponse, type PreviewLinkResponse } from '@slipway/contract';
import type { PreviewLink, PreviewStore } from '../../store/previews.ts';
import { principalOf } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';
import { pageAnswer, pageParameters, pageRequestOf } from '../page-cursor.ts';

const LIST = 'GET /api/v1/previews';

function previewLinkResponseOf(link: PreviewLink): PreviewLinkResponse {
  return {
    app: link.app,
    provider: link.provider as PreviewLinkResponse['provider'],
    repository: link.repository,
    ...(link.pullRequest !== undefined ? { pullRequest: link.pullRequest } : {}),
    branch: link.branch,
    environment: link.envId,
    ...(link.headSha ? { headSha: link.headSha } : {}),
    ...(link.commentId ? { commentId: link.commentId } : {}),
    state: link.state,
    updatedAt: link.updatedAt,
  };
}

/** The pull requests and branches source providers keep environments for. */
export function previewRoutes(app: FastifyInstance, previews: PreviewStore): void {
  app.get<{ Querystring: { app?: string; state?: 'open' | 'closed' } }>(
    '/api/v1/previews',
    {
      schema: {
        summary: 'Pull requests and branches with a preview environment, from GitHub webhooks or polling',
        tags: ['previews'],
        querystring: { type: 'object', properties: { app: { type: 'string' }, state: { type: 'string', enum: ['open', 'closed'] }, ...pageParameters } },
        response: { 200: jsonSchema(previewListResponse), 400: jsonSchema(errorResponse) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const state = request.query.state === 'open' || request.query.state === 'closed' ? request.query.state : undefined;
      const page = await previews.pageLinks({ workspace: principal.workspace, ...(request.query.app ? { app: request.query.app } : {}), ...(state ? { state } : {}) }, pageRequestOf(LIST, request.query, 3));
      return pageAnswer(LIST, page, previewLinkResponseOf);
    },
  );
}
