import type { FastifyInstance } from 'fastify';
import { previewListResponse, type PreviewLinkResponse } from '@slipway/contract';
import type { PreviewLink, PreviewStore } from '../../store/previews.ts';
import { requireRole } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';

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
        querystring: { type: 'object', properties: { app: { type: 'string' }, state: { type: 'string', enum: ['open', 'closed'] } } },
        response: { 200: jsonSchema(previewListResponse) },
      },
    },
    async (request) => {
      const principal = requireRole(request, 'viewer');
      const state = request.query.state === 'open' || request.query.state === 'closed' ? request.query.state : undefined;
      const links = await previews.listLinks({ workspace: principal.workspace, ...(request.query.app ? { app: request.query.app } : {}), ...(state ? { state } : {}) });
      return { items: links.map(previewLinkResponseOf) };
    },
  );
}
