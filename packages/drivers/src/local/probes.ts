// One probe attempt: http (a GET answered 200-399), tcp (a connection accepted) or exec (exit 0).
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Probe } from '@slipway/contract';
import { argv, spawnGroup, stopGroup } from './process-group.ts';

export interface ProbeTarget {
  /** Manifest port → host port of this instance. */
  hostPortOf: (port: number | undefined) => number | undefined;
  cwd: string;
  env: Record<string, string>;
  /** Where an exec probe's output goes (the instance log). */
  logPath: string;
}

export interface ProbeOutcome {
  ok: boolean;
  message: string;
}

export function runProbe(probe: Partial<Probe>, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  if (probe.http) return httpProbe(probe.http, target, timeoutMs);
  if (probe.tcp) return tcpProbe(probe.tcp.port, target, timeoutMs);
  if (probe.exec) return execProbe(probe.exec.command, target, timeoutMs);
  return Promise.resolve({ ok: false, message: 'the probe has none of http, tcp or exec' });
}

function httpProbe(http: NonNullable<Probe['http']>, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const port = target.hostPortOf(http.port);
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

function tcpProbe(manifestPort: number | undefined, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const port = target.hostPortOf(manifestPort);
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

async function execProbe(command: NonNullable<Probe['exec']>['command'], target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const running = spawnGroup(argv(command), { cwd: target.cwd, env: target.env, logPath: target.logPath });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const result = await Promise.race([running.exited, timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') {
    await stopGroup(running, 0);
    return { ok: false, message: `the command did not finish within ${timeoutMs} ms` };
  }
  return result.code === 0 ? { ok: true, message: 'the command exited 0' } : { ok: false, message: `the command exited with code ${result.code ?? result.signal}` };
}
