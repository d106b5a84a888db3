import { createReadStream, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, posix, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { RouteTableEntry } from '@slipway/contract';
import type { RouteMatch } from './route-table.ts';
import { routerErrors } from './error-pages.ts';
import { answerError, type RouterContext } from './router-context.ts';

// Serves a static environment's built folder. The folder holds whatever a build produced from a
// branch anyone may push to, so the one rule that matters is containment: a request resolves to a
// real path inside the root (after decoding, "..", and symlinks), or it is a 404. Dotfiles are not
// served either: build outputs sometimes carry a .env along.

type StaticTarget = Extract<RouteTableEntry['target'], { kind: 'static' }>;

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.xml': 'application/xml',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mp3': 'audio/mpeg',
};

export function contentTypeOf(file: string): string {
  return contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * The file a request path names inside `root`, following symlinks only while they stay inside, or
 * undefined. Decoding happens once here; a path that does not decode is refused rather than guessed.
 */
export async function resolveStaticPath(root: string, requestPath: string): Promise<{ file: string; stats: Stats } | 'invalid' | undefined> {
  const pathname = requestPath.split('?')[0]!;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return 'invalid';
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return 'invalid';
  // Normalising as a rooted POSIX path removes every ".." that could climb above "/".
  const normalized = posix.normalize(`/${decoded}`);
  if (normalized.split('/').some((segment) => segment.startsWith('.') && segment !== '.well-known')) return undefined;
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return undefined;
  }
  const candidate = resolve(realRoot, `.${normalized}`);
  if (!isInside(realRoot, candidate)) return undefined;
  return fileWithin(realRoot, candidate);
}

async function fileWithin(realRoot: string, candidate: string): Promise<{ file: string; stats: Stats } | undefined> {
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return undefined;
  }
  if (!isInside(realRoot, real)) return undefined;
  const stats = await stat(real);
  if (stats.isDirectory()) {
    const index = resolve(real, 'index.html');
    return index === candidate ? undefined : fileWithin(realRoot, index);
  }
  return stats.isFile() ? { file: real, stats } : undefined;
}

function etagOf(stats: Stats): string {
  return `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
}

function notModified(req: IncomingMessage, etag: string, stats: Stats): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) return ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*');
  const ifModifiedSince = req.headers['if-modified-since'];
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && Math.floor(stats.mtimeMs / 1000) * 1000 <= since;
}

export async function serveStatic(context: RouterContext, req: IncomingMessage, res: ServerResponse, match: RouteMatch, target: StaticTarget): Promise<void> {
  const host = match.entry.host;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    answerError(context, req, res, host, routerErrors.methodNotAllowed('GET, HEAD'));
    return;
  }
  let found = await resolveStaticPath(target.root, match.pathAfterPrefix);
  if (found === 'invalid') {
    answerError(context, req, res, host, routerErrors.badRequest('The request path is not valid URL encoding.'));
    return;
  }
  // Client-side routing: any path that is not a file gets the app shell, which renders its own 404.
  if (!found && target.spa) found = (await resolveStaticPath(target.root, '/index.html')) || undefined;
  if (!found || found === 'invalid') {
    answerError(context, req, res, host, { status: 404, code: 'no-route', title: 'Not found', message: `${match.pathAfterPrefix.split('?')[0]} is not a file of this site.` });
    return;
  }
  const { file, stats } = found;
  const etag = etagOf(stats);
  const headers = {
    'content-type': contentTypeOf(file),
    etag,
    'last-modified': stats.mtime.toUTCString(),
    // Environments are rebuilt in place under the same URLs: browsers revalidate every time.
    'cache-control': 'no-cache',
  };
  if (notModified(req, etag, stats)) {
    context.metrics.countRequest(host, 304);
    res.writeHead(304, headers);
    res.end();
    return;
  }
  context.metrics.countRequest(host, 200);
  res.writeHead(200, { ...headers, 'content-length': stats.size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(createReadStream(file), res).catch(() => {
    // The client left mid-file; nothing to answer.
  });
}
