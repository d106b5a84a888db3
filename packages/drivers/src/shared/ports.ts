// Host ports for instances. A port is handed out only after a bind test on every interface (and on
// the loopback address the router uses), and never twice while the driver holds it.
import { createServer } from 'node:net';
import type { DriverProblem } from '@slipway/core';
import { problem } from './driver-problem.ts';

function tryListen(port: number, host?: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen({ port, ...(host ? { host } : {}), exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

export async function portIsFree(port: number): Promise<boolean> {
  return (await tryListen(port)) !== undefined && (await tryListen(port, '127.0.0.1')) !== undefined;
}

/**
 * Whether a port a stopped process held is free, waiting up to `withinMs` for it: the process may
 * still be closing its listener when its group was signalled, which under load takes a moment.
 */
export async function portFreedSoon(port: number, withinMs = 3_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await portIsFree(port)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A port free right now and not in `taken`. */
export async function allocatePort(taken: ReadonlySet<number>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tryListen(0);
    if (port !== undefined && !taken.has(port) && (await tryListen(port, '127.0.0.1')) !== undefined) return port;
  }
  throw new Error('could not find a free port after 50 attempts');
}

/**
 * Why the host port an apply asks for (`pinned`) cannot be given to a service's first replica, if
 * it cannot: the service has no port, or the port is taken (by another instance of the driver —
 * `taken` — or by anything else on the machine) and is not the one the replica has already.
 */
export async function pinnedPortProblem(
  spec: { name: string; ports: readonly unknown[] },
  pinned: number | undefined,
  current: number | undefined,
  taken: ReadonlySet<number>,
): Promise<DriverProblem | undefined> {
  if (pinned === undefined) return undefined;
  if (spec.ports.length === 0) return problem('failed', `services.${spec.name} has no port, so host port ${pinned} cannot be given to it`);
  if (current !== pinned && (taken.has(pinned) || !(await portIsFree(pinned)))) {
    return problem('failed', `services.${spec.name}: host port ${pinned} is already in use; choose another port or stop what listens on it`);
  }
  return undefined;
}
