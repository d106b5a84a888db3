import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Serves the portal's built files at / (public: the portal asks for a token itself and the API checks
 * it). Hashed files under assets/ never change, so browsers keep them; index.html is always asked
 * again. Kept out of the OpenAPI document (@fastify/static hides its routes).
 */
export async function portalRoutes(app: FastifyInstance, dir: string): Promise<void> {
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    index: ['index.html'],
    setHeaders: (reply, path) => {
      reply.header('cache-control', /[/\\]assets[/\\]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
      reply.header('x-content-type-options', 'nosniff');
    },
  });
}

/**
 * Single-page fallback: a page address such as /applications/guestbook is not a file, so it gets
 * index.html and the portal's router shows the page. Only GET/HEAD of non-API paths that want HTML.
 */
export function portalFallback(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  const path = request.url.split('?')[0] ?? '/';
  if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
  if (path === '/api' || path.startsWith('/api/')) return undefined;
  if (!(request.headers.accept ?? '').includes('text/html')) return undefined;
  return reply.header('cache-control', 'no-cache').sendFile('index.html');
}
