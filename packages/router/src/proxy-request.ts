import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { RouteTableEntry, UpstreamAddress } from '@slipway/contract';
import type { RouteMatch } from './route-table.ts';
import { downstreamRawHeaders, upstreamRequestHeaders } from './forwarded-headers.ts';
import { routerErrors } from './error-pages.ts';
import { answerError, type RouterContext } from './router-context.ts';
import { RequestBodyLimit } from './request-body-limit.ts';

// Forwards one HTTP request to an upstream through undici's lowest-level API (dispatch), because
// the request path is the router's hot loop: bodies stream both ways chunk by chunk with
// backpressure and nothing is buffered or re-parsed beyond the headers.

type UpstreamTarget = Extract<RouteTableEntry['target'], { kind: 'upstream' }>;

/** Errors raised before the upstream saw the request: safe to try the next replica. */
const connectErrors = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const timeoutErrors = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function environmentName(entry: RouteTableEntry): string {
  return `${entry.app}/${entry.envId}`;
}

export function proxyRequest(context: RouterContext, req: IncomingMessage, res: ServerResponse, match: RouteMatch, target: UpstreamTarget): void {
  const { entry } = match;
  const { ingress } = entry;
  const declaredLength = req.headers['content-length'];
  if (declaredLength !== undefined && Number(declaredLength) > ingress.maxBodyBytes) {
    answerError(context, req, res, entry.host, routerErrors.payloadTooLarge(ingress.maxBodyBytes));
    return;
  }

  let body: Readable | null = null;
  let limit: RequestBodyLimit | undefined;
  if (req.headers['transfer-encoding'] !== undefined) {
    limit = new RequestBodyLimit(ingress.maxBodyBytes);
    // The client's own errors end the limiter too, so undici sees the body fail either way.
    req.on('error', (error) => limit!.destroy(error));
    body = req.pipe(limit);
  } else if (declaredLength !== undefined && declaredLength !== '0') {
    body = req;
  }

  const headers = upstreamRequestHeaders(req, context.forwarding);
  let path = req.url ?? '/';
  if (target.stripPrefix && match.pathAfterPrefix !== path) {
    path = match.pathAfterPrefix;
    // Lets an application build links that include the prefix it cannot see.
    headers.push('x-forwarded-prefix', entry.pathPrefix.replace(/\/+$/, ''));
  }

  const choices = context.pools.order(entry, target.addresses);
  let attempt = 0;
  let abortUpstream: ((reason?: Error) => void) | undefined;
  let clientGone = false;

  res.on('close', () => {
    if (res.writableFinished) return;
    clientGone = true;
    abortUpstream?.(new Error('client closed the connection'));
  });

  const send = (): void => {
    const { origin, address } = choices[attempt]!;
    const pool = context.pools.pool(origin, ingress.connectTimeoutMs);
    const started = performance.now();
    let responded = false;
    let resumeUpstream: (() => void) | undefined;
    let onDrain: (() => void) | undefined;
    // Bytes still expected when the upstream declared a Content-Length: the chunk that completes the
    // body is written together with the end of the response, saving a write per request.
    let remaining = -1;
    // undici's handler callbacks in their raw form (the newer controller API wraps these and
    // re-parses every header into an object): headers arrive as [name, value, …] buffers.
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abort) {
        abortUpstream = abort;
        if (clientGone) abort(new Error('client closed the connection'));
      },
      onHeaders(statusCode, rawHeaders, resume, statusText) {
        // 1xx informational answers (103 Early Hints) are not relayed: Node's response cannot.
        if (statusCode < 200) return true;
        responded = true;
        resumeUpstream = resume;
        context.metrics.observeUpstream(performance.now() - started);
        context.pools.markUp(origin);
        context.metrics.countRequest(entry.host, statusCode);
        const outgoing = downstreamRawHeaders(rawHeaders);
        remaining = outgoing.contentLength;
        if (req.method === 'HEAD' || statusCode === 204 || statusCode === 304) remaining = -1;
        res.writeHead(statusCode, statusText || undefined, outgoing.headers);
        return true;
      },
      onData(chunk) {
        if (remaining > 0) {
          remaining -= chunk.length;
          if (remaining <= 0) {
            res.end(chunk);
            return true;
          }
        }
        if (res.write(chunk)) return true;
        onDrain ??= () => resumeUpstream?.();
        res.once('drain', onDrain);
        return false;
      },
      onComplete() {
        if (!res.writableEnded) res.end();
      },
      onError(error) {
        if (responded || clientGone) {
          // Mid-body: the status is already out, so cutting the response short is the only signal.
          res.destroy();
          return;
        }
        context.metrics.observeUpstream(performance.now() - started, 'error');
        const code = errorCode(error);
        if (limit?.exceeded) {
          answerError(context, req, res, entry.host, routerErrors.payloadTooLarge(ingress.maxBodyBytes));
          return;
        }
        if (code !== undefined && connectErrors.has(code)) {
          context.pools.markDown(origin);
          const bodyUntouched = body === null || !req.readableDidRead;
          if (attempt + 1 < choices.length && bodyUntouched) {
            attempt++;
            send();
            return;
          }
        }
        logFailure(context, entry, address, error);
        if (code !== undefined && timeoutErrors.has(code)) {
          answerError(context, req, res, entry.host, routerErrors.timeout(environmentName(entry), code === 'UND_ERR_CONNECT_TIMEOUT' ? ingress.connectTimeoutMs : ingress.timeoutMs));
        } else {
          answerError(context, req, res, entry.host, routerErrors.upstreamUnavailable(environmentName(entry)));
        }
      },
    };
    pool.dispatch({ path, method: req.method ?? 'GET', headers, body, headersTimeout: ingress.timeoutMs, bodyTimeout: ingress.timeoutMs }, handler);
  };
  send();
}

function logFailure(context: RouterContext, entry: RouteTableEntry, address: UpstreamAddress, error: Error): void {
  context.logger.warn(
    { app: entry.app, envId: entry.envId, service: entry.service, upstream: `${address.host}:${address.port}`, error: error.message, code: errorCode(error) },
    'upstream request failed',
  );
}
