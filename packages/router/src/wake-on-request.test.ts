import { afterEach, describe, expect, it } from 'vitest';
import { RouteTable } from './route-table.ts';
import { startRouter } from './start-router.ts';
import { send, startServer, upstreamRoute } from './test-support/network.ts';
import type { WakeOptions } from './wake-on-request.ts';

// Wake on request through a real router: requests to a paused, wakeable route are held while the
// environment is woken once, then proxied to the instances its routes point at afterwards; bounded
// in time and in number, and answered with the paused page when the wake is refused.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const host = 'web-main.test';
const paused = (wake?: true) => [{ ...upstreamRoute(host, [1]), target: { kind: 'paused' as const, ...(wake ? { wake } : {}) } }];

async function setUp(wake: (table: RouteTable) => WakeOptions['wake'], options: Omit<WakeOptions, 'wake'> = {}, wakeable = true) {
  const upstream = await startServer((req, res) => res.end(`served ${req.method} ${req.url}`));
  cleanups.push(() => upstream.close());
  const table = new RouteTable();
  table.upsertEnvironment('web', 'main', paused(wakeable ? true : undefined));
  const router = await startRouter({ table, port: 0, host: '127.0.0.1', wake: { wake: wake(table), ...options } });
  cleanups.push(() => router.close());
  return { port: router.port, table, upstreamPort: upstream.port };
}

describe('wake on request', () => {
  it('holds requests to a paused environment, wakes it once, and serves them once its routes point at instances', async () => {
    let calls = 0;
    let instancePort = 0;
    const { port, upstreamPort } = await setUp((table) => async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 300));
      table.upsertEnvironment('web', 'main', [upstreamRoute(host, [instancePort])]);
    });
    instancePort = upstreamPort;
    const started = Date.now();
    const answers = await Promise.all(['/a', '/b', '/c'].map((path) => send(port, { host, path, method: path === '/c' ? 'POST' : 'GET', body: path === '/c' ? 'kept' : undefined })));
    expect(answers.map((a) => `${a.status} ${a.body}`)).toEqual(['200 served GET /a', '200 served GET /b', '200 served POST /c']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(calls).toBe(1);
  });

  it('answers the waking-up page when the wait runs out, and at once when the queue is full', async () => {
    let release!: () => void;
    const { port } = await setUp(() => () => new Promise<void>((resolve) => (release = resolve)), { holdMs: 300, maxHeld: 1 });
    const first = send(port, { host, headers: { accept: 'application/json' } });
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const second = await send(port, { host, headers: { accept: 'application/json' } });
    expect(Date.now() - started).toBeLessThan(200);
    expect([second.status, JSON.parse(second.body).error.code, second.headers['retry-after']]).toEqual([503, 'environment-waking', '5']);
    const timedOut = await first;
    expect([timedOut.status, JSON.parse(timedOut.body).error.code]).toEqual([503, 'environment-waking']);
    release();
  });

  it('answers the paused page when the wake is refused, and does not ask again for a while', async () => {
    let calls = 0;
    const { port } = await setUp(() => async () => {
      calls++;
      throw new Error('environment main is protected');
    });
    const refused = await send(port, { host, headers: { accept: 'text/html' } });
    expect(refused.status).toBe(503);
    expect(refused.body).toContain('is paused');
    expect((await send(port, { host })).status).toBe(503);
    expect(calls).toBe(1);
  });

  it('leaves a paused route without wake to the paused page', async () => {
    let calls = 0;
    const { port } = await setUp(() => async () => void calls++, {}, false);
    const answer = await send(port, { host, headers: { accept: 'application/json' } });
    expect([answer.status, JSON.parse(answer.body).error.code]).toEqual([503, 'environment-paused']);
    expect(calls).toBe(0);
  });
});
