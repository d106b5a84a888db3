// The guestbook API, on node:http only. Listens on $PORT (3000 when unset); the edge router sends it
// every request under /api of the guestbook's hostname.
//
//   GET  /api/health    200 { ok: true } — the readiness probe
//   GET  /api/info      the environment this instance runs in (SLIPWAY_* variables) and GREETING
//   GET  /api/entries   entries, newest first; ?limit=1..100 (50 when absent)
//   POST /api/entries   { name, message } as JSON → 201 and the entry
//   GET  /api/stats     what the worker last counted, or { stats: null }
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EntryStore, STATS_FILE, StoreError, dataDir, readCurrentData } from './store.mjs';

const LIMITS = { name: 80, message: 500 };

function log(level, msg, fields = {}) {
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
  (level === 'error' ? console.error : console.log)(line);
}

function readConfig(env) {
  const problems = [];
  const integer = (name, fallback, min, max) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) problems.push(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    return value;
  };
  const config = {
    port: integer('PORT', 3000, 0, 65535),
    maxBodyBytes: integer('MAX_BODY_BYTES', 16 * 1024, 1, 10 * 1024 * 1024),
    maxEntries: integer('MAX_ENTRIES', 1000, 1, 1_000_000),
    dataDir: dataDir(env),
    greeting: env.GREETING || 'Welcome to the guestbook!',
  };
  if (problems.length > 0) {
    for (const problem of problems) log('error', `configuration: ${problem}`);
    process.exit(1);
  }
  return config;
}

/** Where this instance runs: Slipway injects these into every service and job. */
function environmentInfo(env, greeting) {
  const commit = env.SLIPWAY_COMMIT_SHA || null;
  return {
    app: env.SLIPWAY_APP || 'guestbook',
    envId: env.SLIPWAY_ENV_ID || 'local',
    branch: env.SLIPWAY_BRANCH || null,
    commit,
    commitShort: env.SLIPWAY_COMMIT_SHORT || commit?.slice(0, 7) || null,
    url: env.PUBLIC_URL || null,
    greeting,
  };
}

/** A response the client caused: its status, a message, and optionally more fields and headers. */
class HttpError extends Error {
  constructor(status, message, { fields = {}, headers = {} } = {}) {
    super(message);
    this.status = status;
    this.fields = fields;
    this.headers = headers;
  }
}

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Reads a request body of at most `limit` bytes; a larger one is refused as early as it is known. */
function readBody(req, limit) {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new HttpError(413, `request body is ${declared} bytes; the limit is ${limit}`));
  }
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const onData = (chunk) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(new HttpError(413, `request body is larger than the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// Line breaks and tabs are allowed in a message, no other control characters anywhere.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = { name: /[\u0000-\u001f\u007f]/, message: /[\u0000-\u0008\u000b-\u001f\u007f]/ };

/** Checks one text field of an entry; returns its trimmed value, or an issue. */
function checkText(body, field) {
  const value = body[field];
  if (value === undefined || value === null) return { issue: `${field} is required` };
  if (typeof value !== 'string') return { issue: `${field} must be text, got ${Array.isArray(value) ? 'a list' : typeof value}` };
  const trimmed = value.trim();
  const length = [...trimmed].length;
  if (length === 0) return { issue: `${field} must not be empty` };
  if (length > LIMITS[field]) return { issue: `${field} must be at most ${LIMITS[field]} characters, got ${length}` };
  if (CONTROL_CHARACTERS[field].test(trimmed)) {
    return { issue: `${field} must not contain control characters${field === 'message' ? ' (line breaks and tabs are fine)' : ' or line breaks'}` };
  }
  return { value: trimmed };
}

/** Checks a new entry; returns { entry } or { issues: [{ field, message }] }. */
function validateEntry(body) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { issues: [{ field: null, message: 'expected a JSON object { "name": "…", "message": "…" }' }] };
  }
  const issues = [];
  const unknown = Object.keys(body).filter((key) => !Object.hasOwn(LIMITS, key));
  if (unknown.length > 0) {
    issues.push({ field: unknown[0], message: `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: send only name and message` });
  }
  const entry = {};
  for (const field of Object.keys(LIMITS)) {
    const { value, issue } = checkText(body, field);
    if (issue) issues.push({ field, message: issue });
    else entry[field] = value;
  }
  return issues.length > 0 ? { issues } : { entry };
}

function parseLimit(value) {
  if (value === null) return 50;
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > 100) throw new HttpError(400, `limit must be a whole number from 1 to 100, got ${JSON.stringify(value)}`);
  return limit;
}

async function readStats(dir) {
  try {
    return JSON.parse(await readFile(path.join(dir, STATS_FILE), 'utf8'));
  } catch (error) {
    if (error.code === 'ENOENT' || error instanceof SyntaxError) return null;
    throw error;
  }
}

function createApi(config, env = process.env) {
  const store = new EntryStore(config.dataDir, { maxEntries: config.maxEntries });
  const info = environmentInfo(env, config.greeting);

  const routes = {
    '/api/health': { GET: async () => [200, { ok: true }] },
    '/api/info': { GET: async () => [200, info] },
    '/api/stats': { GET: async () => [200, { stats: await readStats(config.dataDir) }] },
    '/api/entries': {
      GET: async (_req, url) => [200, await store.list(parseLimit(url.searchParams.get('limit')))],
      POST: async (req) => {
        const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        if (type !== 'application/json') throw new HttpError(415, 'send the entry as JSON with Content-Type: application/json');
        const text = await readBody(req, config.maxBodyBytes);
        let body;
        try {
          body = JSON.parse(text);
        } catch (error) {
          throw new HttpError(400, `the body is not valid JSON: ${error.message}`);
        }
        const { entry, issues } = validateEntry(body);
        if (issues) throw new HttpError(400, 'the entry is not valid', { fields: { issues } });
        const saved = await store.add(entry);
        return [201, saved, { location: `/api/entries/${saved.id}` }];
      },
    },
  };

  const server = createServer(async (req, res) => {
    const started = process.hrtime.bigint();
    let url;
    try {
      url = new URL(req.url ?? '/', 'http://api.invalid');
      const route = routes[url.pathname.replace(/\/+$/, '') || '/'];
      if (url.pathname === '/' || url.pathname === '/api') {
        sendJson(res, 200, { name: 'guestbook-api', endpoints: Object.keys(routes) });
      } else if (!route) {
        throw new HttpError(404, `no such endpoint: ${url.pathname}`);
      } else {
        const handler = route[req.method === 'HEAD' ? 'GET' : req.method];
        if (!handler) {
          const allow = [...Object.keys(route), 'HEAD'].join(', ');
          throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}; use ${allow}`, { headers: { allow } });
        }
        const [status, body, headers] = await handler(req, url);
        sendJson(res, status, body, headers);
      }
    } catch (error) {
      if (error instanceof HttpError) {
        // After refusing a large body, close the connection rather than read the rest of it.
        const close = error.status === 413 ? { connection: 'close' } : {};
        sendJson(res, error.status, { error: error.message, ...error.fields }, { ...error.headers, ...close });
      } else {
        // Details go to the log; the client only learns that it was not its fault.
        log('error', 'request failed', { method: req.method, path: url?.pathname, error: error instanceof StoreError ? error.message : error.stack });
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error; see the api log' });
        else res.destroy();
      }
    }
    // Probes ask every few seconds; a healthy answer is not worth a log line.
    if (url?.pathname !== '/api/health' || res.statusCode !== 200) {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log('info', 'request', { method: req.method, path: url?.pathname ?? req.url, status: res.statusCode, ms: Math.round(ms * 10) / 10 });
    }
  });
  // A small API: nobody needs minutes to send headers or a body.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return { server, store };
}

async function main() {
  const config = readConfig(process.env);
  try {
    await readCurrentData(config.dataDir);
  } catch (error) {
    log('error', error instanceof StoreError ? error.message : String(error));
    process.exit(1);
  }
  const { server, store } = createApi(config);

  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    log('info', 'stopping', { signal });
    // Refuse new connections, let requests in flight finish, then wait for the last write.
    const force = setTimeout(() => {
      log('error', 'requests still open after 10 s; closing them');
      server.closeAllConnections();
    }, 10_000);
    force.unref();
    server.close(async () => {
      await store.idle();
      log('info', 'stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  server.on('error', (error) => {
    log('error', `cannot listen on port ${config.port}: ${error.message}`);
    process.exit(1);
  });
  server.listen(config.port, () => {
    const { port } = server.address();
    log('info', 'listening', { port, dataDir: config.dataDir, envId: environmentInfo(process.env).envId });
  });
}

await main();
