import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

// The server's metrics listener, apart from the API like the router's: no API route and no
// environment's hostname can reach it, it binds to loopback by default, and with a scrape token it
// answers only `Authorization: Bearer <token>` (required when it listens beyond loopback; see
// config.ts). It serves the control plane's registry and the embedded router's.

export interface MetricsListenerOptions {
  registry: Registry;
  port: number;
  host: string;
  /** When set, every scrape must send it as a bearer token. */
  token?: string;
}

export interface RunningMetricsListener {
  port: number;
  /** http://host:port/metrics */
  url: string;
  close(): Promise<void>;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Whether the request carries the token: compared in constant time, on digests so lengths do not leak either. */
function authorized(req: IncomingMessage, expected: Buffer | undefined): boolean {
  if (!expected) return true;
  const header = req.headers.authorization;
  if (!header?.startsWith('Bearer ')) return false;
  return timingSafeEqual(digest(header.slice('Bearer '.length).trim()), expected);
}

export async function startMetricsListener(options: MetricsListenerOptions): Promise<RunningMetricsListener> {
  const expected = options.token ? digest(options.token) : undefined;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: the metrics listener serves GET /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' });
      res.end('method not allowed: GET /metrics\n');
      return;
    }
    if (!authorized(req, expected)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="slipway-metrics"' });
      res.end('unauthorized: send "Authorization: Bearer <token>" with the token in SLIPWAY_METRICS_TOKEN\n');
      return;
    }
    options.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': options.registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('the metrics could not be collected\n');
      },
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`metrics port ${options.port} is already in use; stop what uses it, set SLIPWAY_METRICS_PORT (or --metrics-port; 0 picks a free one), or turn the listener off with --no-metrics`);
    }
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    port: address.port,
    url: `http://${host}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
