// Probes that reach an instance from the host through its host port, the same for every runtime
// that publishes ports on the loopback address: http (a GET answered 200-399) and tcp (a connection
// accepted).
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Probe } from '@slipway/contract';

export interface ProbeOutcome {
  ok: boolean;
  message: string;
}

/** Manifest port (the first port when undefined) → host port of the instance. */
export type HostPortOf = (port: number | undefined) => number | undefined;

export function httpProbe(http: NonNullable<Probe['http']>, hostPortOf: HostPortOf, timeoutMs: number): Promise<ProbeOutcome> {
  const port = hostPortOf(http.port);
  if (port === undefined) return Promise.resolve({ ok: false, message: `the http probe's port ${http.port ?? '(first)'} is not a port of the service` });
  const path = http.path ?? '/';
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: http.headers ?? {}, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400 ? { ok: true, message: `GET ${path} answered ${status}` } : { ok: false, message: `GET ${path} answered ${status}` });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ ok: false, message: `GET ${path} failed: ${error.message}` }));
    req.end();
  });
}

export function tcpProbe(manifestPort: number | undefined, hostPortOf: HostPortOf, timeoutMs: number): Promise<ProbeOutcome> {
  const port = hostPortOf(manifestPort);
  if (port === undefined) return Promise.resolve({ ok: false, message: `the tcp probe's port ${manifestPort ?? '(first)'} is not a port of the service` });
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (outcome: ProbeOutcome) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => finish({ ok: false, message: `port ${port}: no connection within ${timeoutMs} ms` }));
    socket.once('connect', () => finish({ ok: true, message: `port ${port} accepts connections` }));
    socket.once('error', (error) => finish({ ok: false, message: `port ${port}: ${error.message}` }));
  });
}
