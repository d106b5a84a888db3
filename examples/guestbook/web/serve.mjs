// A tiny static server for the built site, for running the guestbook without Slipway (by hand, or in
// the compose.yaml container). Under Slipway the edge router serves dist/ itself and this file is not
// used. Like the router, it sends /api to the api when $API_URL is set.
//
//   PORT=8080 API_URL=http://127.0.0.1:3000 node serve.mjs      ($STATIC_DIR: dist/ beside this file)
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(process.env.STATIC_DIR || path.join(here, 'dist'));
const port = Number(process.env.PORT || 8080);
const api = process.env.API_URL ? new URL(process.env.API_URL) : undefined;

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

function send(res, status, text, type = 'text/plain; charset=utf-8') {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function proxyToApi(req, res) {
  if (!api) return send(res, 502, JSON.stringify({ error: 'no api to send /api to: set API_URL' }), TYPES['.json']);
  const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
  // The target is always API_URL's host: only the path comes from the request.
  const upstream = request(
    {
      protocol: api.protocol,
      hostname: api.hostname,
      port: api.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: api.host, 'x-forwarded-host': req.headers.host ?? '', 'x-forwarded-proto': 'http', 'x-forwarded-for': forwardedFor },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', (error) => {
    if (res.headersSent) res.destroy();
    else send(res, 502, JSON.stringify({ error: `the api at ${api.origin} did not answer: ${error.code ?? error.message}` }), TYPES['.json']);
  });
  req.pipe(upstream);
}

async function serveFile(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'method not allowed\n');
  }
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://web.invalid').pathname);
  } catch {
    return send(res, 400, 'bad path\n');
  }
  let file = path.join(root, path.normalize(pathname));
  if (file !== root && !file.startsWith(root + path.sep)) return send(res, 404, 'not found\n');
  let info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) {
    file = path.join(file, 'index.html');
    info = await stat(file).catch(() => undefined);
  }
  if (!info?.isFile()) return send(res, 404, 'not found\n');
  const name = path.basename(file);
  res.writeHead(200, {
    'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream',
    'content-length': info.size,
    'x-content-type-options': 'nosniff',
    // Names with a content hash never change; everything else is checked on every load.
    'cache-control': /\.[0-9a-f]{8}\.(js|css)$/.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file).pipe(res);
}

const server = createServer((req, res) => {
  const onApi = req.url === '/api' || req.url?.startsWith('/api/') || req.url?.startsWith('/api?');
  if (onApi) return proxyToApi(req, res);
  serveFile(req, res).catch((error) => {
    console.error(error);
    if (!res.headersSent) send(res, 500, 'internal error\n');
  });
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
server.listen(port, () => {
  console.log(`serving ${root} on http://localhost:${server.address().port}${api ? `, /api → ${api.origin}` : ''}`);
});
