import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The portal loads only its own files and talks only to this server: a script that got in some other
 * way could neither load more nor send the token elsewhere, and no other site may frame the portal.
 */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

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
      if (path.endsWith('.html')) reply.headers(PAGE_HEADERS);
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
  return reply.header('cache-control', 'no-cache').headers(PAGE_HEADERS).sendFile('index.html');
}
