import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RouteTable } from './route-table.ts';
import { RouterMetrics, unmatchedHost } from './router-metrics.ts';
import { UpstreamPools } from './upstream-pools.ts';
import { routerErrors } from './error-pages.ts';
import { answerError, silentLogger, type RouterContext, type RouterLogger } from './router-context.ts';
import { proxyRequest } from './proxy-request.ts';
import { serveStatic } from './static-files.ts';
import { answerOnSocket, proxyUpgrade } from './proxy-upgrade.ts';
import { WakeOnRequest, type WakeOptions } from './wake-on-request.ts';

// The router process: one listener for proxied traffic, an optional admin listener for metrics (kept
// apart so no environment's hostname can ever reach /metrics), and a close() that lets in-flight
// requests finish. The route table is read on every request, so a change applies to the next request
// while requests already under way keep the route they started with.

export interface RouterOptions {
  table: RouteTable;
  /** Port for proxied traffic; 0 picks a free one (tests). */
  port: number;
  /** Address to listen on; all interfaces when absent. */
  host?: string;
  /** Port of the admin listener serving GET /metrics and GET /healthz; none when absent. */
  metricsPort?: number;
  /** Address of the admin listener; loopback by default, since metrics are not for the public. */
  metricsHost?: string;
  /** Scheme clients use to reach the router, sent as X-Forwarded-Proto. */
  proto?: 'http' | 'https';
  /** Keep the client's X-Forwarded-Proto/-Host: only behind a trusted load balancer. */
  trustForwarded?: boolean;
  /** Seconds a 503 "deploying" page asks the client to wait. */
  retryAfterSeconds?: number;
  /** How long close() waits for in-flight requests before cutting them. */
  drainTimeoutMs?: number;
  logger?: RouterLogger;
  /**
   * Called for every request matched to an environment (for idle tracking). Runs on the request
   * path: keep it to a map update.
   */
  onRouted?: (app: string, envId: string) => void;
  /**
   * Wake on request: requests to a paused environment whose routes allow it are held while this
   * asks the control plane to resume it (wake-on-request.ts). Without it, they get the paused page.
   */
  wake?: WakeOptions;
}

export interface RunningRouter {
  port: number;
  /** http://host:port of the proxy listener. */
  url: string;
  metricsPort?: number;
  metrics: RouterMetrics;
  /** Stops accepting, lets in-flight requests finish (up to the drain timeout), then releases everything. */
  close(): Promise<void>;
}

async function listen(server: Server, port: number, host: string | undefined): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

export async function startRouter(options: RouterOptions): Promise<RunningRouter> {
  const { table } = options;
  const metrics = new RouterMetrics(table);
  const pools = new UpstreamPools();
  const context: RouterContext = {
    pools,
    metrics,
    forwarding: { proto: options.proto ?? 'http', trustForwarded: options.trustForwarded ?? false },
    logger: options.logger ?? silentLogger,
  };
  const retryAfter = options.retryAfterSeconds ?? 5;
  const waker = options.wake ? new WakeOnRequest(table, options.wake, context.logger) : undefined;
  const stopFollowingReleases = table.onRelease(({ kind, key }) => {
    if (kind === 'origin') pools.release(key);
    else metrics.forgetHost(key);
  });

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const hostHeader = req.headers.host ?? '';
    const url = req.url ?? '/';
    if (url.charCodeAt(0) !== 47) {
      answerError(context, req, res, unmatchedHost, routerErrors.badRequest('The router answers only origin-form request targets (a path starting with "/").'));
      return;
    }
    const match = table.lookup(hostHeader, url);
    if (!match) {
      const error = table.servesHost(hostHeader) ? routerErrors.noRoute(hostHeader, url.split('?')[0]!) : routerErrors.unknownHost(hostHeader);
      answerError(context, req, res, unmatchedHost, error);
      return;
    }
    options.onRouted?.(match.entry.app, match.entry.envId);
    const { target } = match.entry;
    switch (target.kind) {
      case 'upstream':
        proxyRequest(context, req, res, match, target);
        return;
      case 'static':
        serveStatic(context, req, res, match, target).catch((error: Error) => {
          context.logger.warn({ app: match.entry.app, envId: match.entry.envId, root: target.root, error: error.message }, 'static file failed');
          answerError(context, req, res, match.entry.host, routerErrors.internal());
        });
        return;
      case 'deploying':
        answerError(context, req, res, match.entry.host, routerErrors.deploying(`${match.entry.app}/${match.entry.envId}`, retryAfter));
        return;
      case 'paused': {
        const environment = `${match.entry.app}/${match.entry.envId}`;
        if (!waker || !target.wake) {
          answerError(context, req, res, match.entry.host, routerErrors.paused(environment, retryAfter));
          return;
        }
        const closed = new AbortController();
        res.once('close', () => closed.abort());
        void waker.hold(req, match.entry.app, match.entry.envId, closed.signal).then((outcome) => {
          if (outcome === 'awake') onRequest(req, res);
          else if (outcome === 'refused') answerError(context, req, res, match.entry.host, routerErrors.paused(environment, retryAfter));
          else if (outcome !== 'closed') answerError(context, req, res, match.entry.host, routerErrors.waking(environment, retryAfter));
        });
        return;
      }
    }
  };

  const tunnels = new Set<Duplex>();
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const match = table.lookup(req.headers.host ?? '', req.url ?? '/');
    if (!match) {
      metrics.countRequest(unmatchedHost, 404);
      answerOnSocket(req, socket, routerErrors.unknownHost(req.headers.host ?? ''));
      return;
    }
    options.onRouted?.(match.entry.app, match.entry.envId);
    const { target } = match.entry;
    if (target.kind === 'deploying') {
      metrics.countRequest(match.entry.host, 503);
      answerOnSocket(req, socket, routerErrors.deploying(`${match.entry.app}/${match.entry.envId}`, retryAfter));
      return;
    }
    if (target.kind === 'paused') {
      metrics.countRequest(match.entry.host, 503);
      answerOnSocket(req, socket, routerErrors.paused(`${match.entry.app}/${match.entry.envId}`, retryAfter));
      return;
    }
    if (target.kind === 'static') {
      metrics.countRequest(match.entry.host, 400);
      answerOnSocket(req, socket, routerErrors.badRequest('A static site cannot upgrade a connection.'));
      return;
    }
    proxyUpgrade(
      context,
      {
        add(client: Duplex, upstream: Socket) {
          tunnels.add(client);
          metrics.activeTunnels.inc();
          client.once('close', () => {
            tunnels.delete(client);
            metrics.activeTunnels.dec();
            upstream.destroy();
          });
        },
      },
      req,
      socket,
      head,
      match,
      target,
    );
  };

  const server = createServer(onRequest);
  server.on('upgrade', onUpgrade);
  server.on('connection', (socket: Socket) => {
    metrics.activeConnections.inc();
    socket.once('close', () => metrics.activeConnections.dec());
  });
  const address = await listen(server, options.port, options.host);

  let admin: Server | undefined;
  let adminAddress: AddressInfo | undefined;
  if (options.metricsPort !== undefined) {
    admin = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/metrics') {
        metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': metrics.registry.contentType });
            res.end(text);
          },
          () => {
            res.writeHead(500);
            res.end();
          },
        );
      } else if (req.method === 'GET' && path === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, routeTableVersion: table.version, ...table.size }));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found: the admin listener serves GET /metrics and GET /healthz\n');
      }
    });
    adminAddress = await listen(admin, options.metricsPort, options.metricsHost ?? '127.0.0.1');
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopFollowingReleases();
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      // Upgraded connections never finish by themselves: waiting for them would only delay the end.
      for (const tunnel of tunnels) tunnel.destroy();
      // Keep-alive connections become idle as their last response ends; close them as they do.
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      let timedOut = false;
      const deadline = setTimeout(() => {
        timedOut = true;
        server.closeAllConnections();
      }, options.drainTimeoutMs ?? 10_000);
      await drained;
      clearInterval(sweep);
      clearTimeout(deadline);
      await (timedOut ? pools.destroy() : pools.close());
      if (admin) {
        const adminServer = admin;
        await new Promise<void>((resolve) => {
          adminServer.close(() => resolve());
          adminServer.closeAllConnections();
        });
      }
    })();
    return closing;
  };

  return {
    port: address.port,
    url: urlOf(address),
    ...(adminAddress ? { metricsPort: adminAddress.port } : {}),
    metrics,
    close,
  };
}
