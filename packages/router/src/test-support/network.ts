import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { RouteTableEntry } from '@slipway/contract';

// Real sockets on the loopback address for the router's tests: upstream servers, a client that sets
// the Host header (Node does not resolve *.localhost), and route entries with sensible defaults.

export interface TestServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startServer(handler: RequestListener<typeof IncomingMessage, typeof ServerResponse>): Promise<TestServer> {
  const server = createServer(handler);
  // Upgraded sockets leave the server's own bookkeeping; close() must still end them.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

export interface TestResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SendOptions {
  host: string;
  path?: string;
  method?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
}

export function send(port: number, options: SendOptions): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: options.path ?? '/', method: options.method ?? 'GET', headers: { host: options.host, ...options.headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export const testIngress = { public: true, timeoutMs: 5_000, connectTimeoutMs: 2_000, maxBodyBytes: 1024 * 1024 };

export function upstreamRoute(host: string, ports: number[], extra: Partial<RouteTableEntry> & { stripPrefix?: boolean } = {}): RouteTableEntry {
  const { stripPrefix, ...rest } = extra;
  return {
    host,
    pathPrefix: '/',
    app: 'web',
    envId: 'main',
    target: { kind: 'upstream', addresses: ports.map((port) => ({ host: '127.0.0.1', port })), stripPrefix: stripPrefix ?? false },
    ingress: testIngress,
    ...rest,
  };
}

/** A port nothing listens on: bound once, then released. */
export async function closedPort(): Promise<number> {
  const server = await startServer(() => undefined);
  await server.close();
  return server.port;
}
