import type { IncomingMessage, ServerResponse } from 'node:http';

// The router's own answers. People hit them in a browser while an environment comes and goes, so
// each says in one sentence what happened and what to do; scripts that ask for JSON get the same
// facts as fields. They never show upstream addresses or error details: those go to the log.

export type RouterErrorCode =
  | 'unknown-host'
  | 'no-route'
  | 'bad-request'
  | 'method-not-allowed'
  | 'payload-too-large'
  | 'upstream-unavailable'
  | 'environment-deploying'
  | 'environment-paused'
  | 'environment-waking'
  | 'upstream-timeout'
  | 'router-error';

export interface RouterError {
  status: number;
  code: RouterErrorCode;
  title: string;
  message: string;
  /** Seconds, for 503. */
  retryAfter?: number;
  /** Extra headers, e.g. Allow for 405. */
  headers?: Record<string, string>;
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c]!);
}

/** JSON when the client lists application/json before (or without) text/html. */
export function prefersJson(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  if (!accept) return false;
  const json = accept.indexOf('application/json');
  if (json === -1) return false;
  const html = accept.indexOf('text/html');
  return html === -1 || json < html;
}

function page(error: RouterError): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${error.status} ${escapeHtml(error.title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}small{color:#777}</style>
</head><body><h1>${error.status} — ${escapeHtml(error.title)}</h1><p>${escapeHtml(error.message)}</p><small>Slipway router</small></body></html>
`;
}

export function sendRouterError(req: IncomingMessage, res: ServerResponse, error: RouterError): void {
  if (res.headersSent) {
    // Too late for a page: the client sees the response cut short, which is the honest signal.
    res.destroy();
    return;
  }
  const json = prefersJson(req);
  const body = json
    ? JSON.stringify({ error: { status: error.status, code: error.code, title: error.title, message: error.message, ...(error.retryAfter ? { retryAfter: error.retryAfter } : {}) } })
    : page(error);
  const headers: Record<string, string | number> = {
    'content-type': json ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...error.headers,
  };
  if (error.retryAfter) headers['retry-after'] = error.retryAfter;
  // A request body we refused is not read: close the connection rather than drain an unknown amount.
  if (error.status === 413) headers.connection = 'close';
  res.writeHead(error.status, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

export const routerErrors = {
  unknownHost: (host: string): RouterError => ({
    status: 404,
    code: 'unknown-host',
    title: 'No environment here',
    message: `No environment serves ${host || '(no Host header)'}. It may have been deleted or not created yet; check the environment's URLs with \`slipway envs get\`.`,
  }),
  noRoute: (host: string, path: string): RouterError => ({
    status: 404,
    code: 'no-route',
    title: 'No route for this path',
    message: `${host} is served by an environment, but none of its routes covers ${path}.`,
  }),
  badRequest: (why: string): RouterError => ({ status: 400, code: 'bad-request', title: 'Bad request', message: why }),
  methodNotAllowed: (allow: string): RouterError => ({
    status: 405,
    code: 'method-not-allowed',
    title: 'Method not allowed',
    message: `This is a static site: only ${allow} are answered.`,
    headers: { allow },
  }),
  payloadTooLarge: (limit: number): RouterError => ({
    status: 413,
    code: 'payload-too-large',
    title: 'Request body too large',
    message: `This route accepts request bodies of at most ${limit} bytes (ingress maxBodySize).`,
  }),
  upstreamUnavailable: (environment: string): RouterError => ({
    status: 502,
    code: 'upstream-unavailable',
    title: 'Environment not answering',
    message: `The environment ${environment} did not accept the connection: its service may have stopped or be restarting. Its logs tell why (\`slipway instances logs\`).`,
  }),
  deploying: (environment: string, retryAfter: number): RouterError => ({
    status: 503,
    code: 'environment-deploying',
    title: 'Environment is deploying',
    message: `The environment ${environment} is being deployed and will answer once it is ready. This page can be reloaded in a few seconds.`,
    retryAfter,
  }),
  paused: (environment: string, retryAfter: number): RouterError => ({
    status: 503,
    code: 'environment-paused',
    title: 'Environment is paused',
    message: `The environment ${environment} is paused: its services are stopped and keep their data. Resume it with \`slipway envs resume\`, then reload this page.`,
    retryAfter,
  }),
  waking: (environment: string, retryAfter: number): RouterError => ({
    status: 503,
    code: 'environment-waking',
    title: 'Environment is waking up',
    message: `The environment ${environment} was paused and is starting again. This page can be reloaded in a few seconds.`,
    retryAfter,
  }),
  internal: (): RouterError => ({
    status: 500,
    code: 'router-error',
    title: 'Router error',
    message: 'The router could not answer this request; its log has the details.',
  }),
  timeout: (environment: string, timeoutMs: number): RouterError => ({
    status: 504,
    code: 'upstream-timeout',
    title: 'Environment took too long',
    message: `The environment ${environment} did not answer within ${timeoutMs} ms (ingress timeout).`,
  }),
};
