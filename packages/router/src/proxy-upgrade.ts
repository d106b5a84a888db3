import { connect, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RouteTableEntry } from '@slipway/contract';
import type { RouteMatch } from './route-table.ts';
import { upstreamRequestHeaders } from './forwarded-headers.ts';
import { prefersJson, routerErrors, type RouterError } from './error-pages.ts';
import type { RouterContext } from './router-context.ts';

// Upgrade requests (WebSockets, mostly) become a byte pipe: the router writes the handshake to a
// fresh upstream connection and from then on copies bytes both ways without reading them, so any
// upgraded protocol works and the upstream's own 101 (or refusal) reaches the client unchanged.

type UpstreamTarget = Extract<RouteTableEntry['target'], { kind: 'upstream' }>;

/** Writes one of the router's answers on a socket that has no ServerResponse. */
export function answerOnSocket(req: IncomingMessage, socket: Duplex, error: RouterError): void {
  const json = prefersJson(req);
  const body = json ? JSON.stringify({ error: { status: error.status, code: error.code, title: error.title, message: error.message } }) : `${error.title}: ${error.message}\n`;
  const extra = error.retryAfter ? `retry-after: ${error.retryAfter}\r\n` : '';
  socket.end(
    `HTTP/1.1 ${error.status} ${error.title}\r\ncontent-type: ${json ? 'application/json' : 'text/plain'}; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n${extra}connection: close\r\n\r\n${body}`,
  );
}

export interface Tunnels {
  add(client: Duplex, upstream: Socket): void;
}

export function proxyUpgrade(context: RouterContext, tunnels: Tunnels, req: IncomingMessage, client: Duplex, head: Buffer, match: RouteMatch, target: UpstreamTarget): void {
  const { entry } = match;
  const choices = context.pools.order(entry, target.addresses);
  const path = target.stripPrefix ? match.pathAfterPrefix : (req.url ?? '/');
  const headers = upstreamRequestHeaders(req, context.forwarding, true);
  let handshake = `${req.method ?? 'GET'} ${path} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) handshake += `${headers[i]}: ${headers[i + 1]}\r\n`;
  handshake += '\r\n';

  client.on('error', () => client.destroy());
  let attempt = 0;
  const tryNext = (): void => {
    const { address, origin } = choices[attempt]!;
    const upstream = connect({ host: address.host, port: address.port });
    upstream.setTimeout(entry.ingress.connectTimeoutMs);
    const onConnectFailure = (error: Error & { code?: string }): void => {
      upstream.destroy();
      context.pools.markDown(origin);
      if (attempt + 1 < choices.length && !client.destroyed) {
        attempt++;
        tryNext();
        return;
      }
      context.logger.warn({ app: entry.app, envId: entry.envId, upstream: `${address.host}:${address.port}`, error: error.message }, 'upgrade connection failed');
      context.metrics.countRequest(entry.host, 502);
      answerOnSocket(req, client, routerErrors.upstreamUnavailable(`${entry.app}/${entry.envId}`));
    };
    upstream.once('error', onConnectFailure);
    upstream.once('timeout', () => onConnectFailure(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })));
    upstream.once('connect', () => {
      upstream.off('error', onConnectFailure);
      upstream.removeAllListeners('timeout');
      upstream.setTimeout(0);
      context.pools.markUp(origin);
      // Counted as switching protocols; the upstream may still refuse, which the client then sees.
      context.metrics.countRequest(entry.host, 101);
      if (client.destroyed) {
        upstream.destroy();
        return;
      }
      upstream.setNoDelay(true);
      upstream.write(handshake);
      if (head.length > 0) upstream.write(head);
      tunnels.add(client, upstream);
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      upstream.pipe(client);
      client.pipe(upstream);
    });
  };
  tryNext();
}
