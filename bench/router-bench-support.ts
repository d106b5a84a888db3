import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// Processes the router benchmark runs side by side: a Node upstream in its own process (so it never
// shares an event loop with the router), nginx with a generated configuration, and wrk.

export function toolMissing(): string | undefined {
  const missing = ['wrk', 'nginx'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  return missing.length > 0 ? missing.join(' and ') : undefined;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A plain Node HTTP upstream listening on each given port, in a child process: `/` answers 12 bytes,
 * `/1m` one MiB, and a WebSocket upgrade echoes every message (with the `ws` package).
 */
export async function startUpstream(ports: number[]): Promise<ChildProcess> {
  const wsPath = createRequire(import.meta.url).resolve('ws');
  const script = `
    const http = require('node:http');
    const { WebSocketServer } = require(${JSON.stringify(wsPath)});
    const ports = ${JSON.stringify(ports)};
    const big = Buffer.alloc(1024 * 1024, 'x');
    const echo = new WebSocketServer({ noServer: true });
    echo.on('connection', (socket) => socket.on('message', (data, binary) => socket.send(data, { binary })));
    let ready = 0;
    for (const port of ports) {
      const server = http.createServer((req, res) => {
        if (req.url === '/1m') {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': big.length });
          res.end(big);
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 12 });
        res.end('hello world\\n');
      });
      server.on('upgrade', (req, socket, head) => echo.handleUpgrade(req, socket, head, (ws) => echo.emit('connection', ws, req)));
      server.keepAliveTimeout = 60_000;
      server.listen(port, '127.0.0.1', () => { if (++ready === ports.length) process.send('ready'); });
    }`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`upstream exited with ${code}`)));
  });
  return child;
}

/** nginx as in the reference numbers: one worker, proxying by Host, keep-alive 64 to the upstream. */
export async function startNginx(dir: string, port: number, upstreamPort: number, host: string): Promise<ChildProcess> {
  await mkdir(join(dir, 'logs'), { recursive: true });
  const isRoot = process.getuid?.() === 0;
  const conf = `
${isRoot ? 'user root root;' : ''}
worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'logs', 'error.log')} warn;
events { worker_connections 8192; }
worker_rlimit_nofile 20000;
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  map $http_upgrade $connection_upgrade {
    default upgrade;
    '' '';
  }
  upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port} default_server;
    return 404;
  }
  server {
    listen 127.0.0.1:${port};
    server_name ${host};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
    }
  }
}
`;
  const confFile = join(dir, 'nginx.conf');
  await writeFile(confFile, conf);
  const child = spawn('nginx', ['-p', dir, '-c', confFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  // nginx has no readiness signal in the foreground: poll its port.
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}; see ${join(dir, 'logs', 'error.log')}`);
    if ((await statusOf(port, host)) === 200) return child;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop(child);
  throw new Error(`nginx did not answer; see ${join(dir, 'logs', 'error.log')}`);
}

function statusOf(port: number, host: string): Promise<number> {
  return new Promise((resolve) => {
    get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', () => resolve(0));
  });
}

export interface WrkResult {
  requestsPerSecond: number;
  p99Ms: number;
  errors: string | undefined;
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

export interface WrkOptions {
  seconds: number;
  connections?: number;
  /** Send `Connection: close`, so every request opens a new connection. */
  close?: boolean;
}

export async function runWrk(url: string, host: string, options: WrkOptions): Promise<WrkResult> {
  const args = ['-t2', `-c${options.connections ?? 50}`, `-d${options.seconds}s`, '--latency', '-H', `Host: ${host}`];
  if (options.close) args.push('-H', 'Connection: close');
  const child = spawn('wrk', [...args, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += String(chunk)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(output);
  if (code !== 0 || !rps || !p99) throw new Error(`wrk failed (exit ${code}):\n${output}`);
  const errors = /Non-2xx or 3xx responses: \d+|Socket errors:.*/.exec(output)?.[0];
  return { requestsPerSecond: Number(rps[1]), p99Ms: toMs(p99[1]!, p99[2]!), errors };
}

/**
 * WebSocket echo load, in a child process so the client never shares the router's event loop: each
 * connection sends a 32-byte message, waits for its echo, and sends the next, for the given time.
 */
export async function runWebSocketEcho(url: string, host: string, options: { seconds: number; connections: number }): Promise<WrkResult> {
  const wsPath = createRequire(import.meta.url).resolve('ws');
  const script = `
    const WebSocket = require(${JSON.stringify(wsPath)});
    const [url, host, seconds, connections] = [${JSON.stringify(url)}, ${JSON.stringify(host)}, ${options.seconds}, ${options.connections}];
    const payload = Buffer.alloc(32, 'w');
    const latencies = [];
    let errors = 0;
    let open = 0;
    let measuring = false;
    let ended = false;
    const sockets = [];
    const starters = [];
    for (let i = 0; i < connections; i++) {
      const socket = new WebSocket(url, { headers: { host } });
      sockets.push(socket);
      let sent = 0;
      const next = () => { if (ended) return; sent = performance.now(); socket.send(payload); };
      starters.push(next);
      socket.on('open', () => { if (++open === connections) start(); });
      socket.on('message', () => { if (measuring) latencies.push(performance.now() - sent); next(); });
      socket.on('error', () => { errors++; });
    }
    let began = 0;
    function start() {
      for (const next of starters) next();
      setTimeout(() => { measuring = true; began = performance.now(); latencies.length = 0; }, 500);
      setTimeout(() => {
        ended = true;
        const elapsed = (performance.now() - began) / 1000;
        latencies.sort((a, b) => a - b);
        const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
        process.stdout.write(JSON.stringify({ perSecond: latencies.length / elapsed, p99, errors }));
        for (const socket of sockets) socket.terminate();
        process.exit(0);
      }, 500 + seconds * 1000);
    }
    setTimeout(() => { process.stdout.write(JSON.stringify({ perSecond: 0, p99: 0, errors: 'only ' + open + ' of ' + connections + ' connections opened' })); process.exit(1); }, 15000 + seconds * 1000).unref();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += String(chunk)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  let parsed: { perSecond: number; p99: number; errors: number | string };
  try {
    parsed = JSON.parse(output) as typeof parsed;
  } catch {
    throw new Error(`WebSocket echo client failed (exit ${code}): ${output}`);
  }
  if (code !== 0) throw new Error(`WebSocket echo client failed: ${parsed.errors}`);
  return { requestsPerSecond: parsed.perSecond, p99Ms: parsed.p99, errors: parsed.errors ? `${parsed.errors} socket errors` : undefined };
}

export function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
