// One probe attempt: http (a GET answered 200-399), tcp (a connection accepted) or exec (exit 0).
import type { Probe } from '@slipway/contract';
import { httpProbe, tcpProbe, type ProbeOutcome } from '../shared/network-probes.ts';
import { argv, spawnGroup, stopGroup } from '../shared/process-group.ts';

export interface ProbeTarget {
  /** Manifest port → host port of this instance. */
  hostPortOf: (port: number | undefined) => number | undefined;
  cwd: string;
  env: Record<string, string>;
  /** Where an exec probe's output goes (the instance log). */
  logPath: string;
}

export function runProbe(probe: Partial<Probe>, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  if (probe.http) return httpProbe(probe.http, target.hostPortOf, timeoutMs);
  if (probe.tcp) return tcpProbe(probe.tcp.port, target.hostPortOf, timeoutMs);
  if (probe.exec) return execProbe(probe.exec.command, target, timeoutMs);
  return Promise.resolve({ ok: false, message: 'the probe has none of http, tcp or exec' });
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
