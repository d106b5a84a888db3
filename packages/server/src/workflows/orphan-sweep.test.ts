// The engine sweeps runtime leftovers of environments that do not exist, at start and on an interval.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResolvedService } from '@slipway/contract';
import { commitAll, git } from '../test-support/example-repository.ts';
import { processAlive } from '../test-support/process-alive.ts';
import { startTestServer, type TestServer } from '../test-support/test-server.ts';

let test: TestServer | undefined;
afterAll(() => test?.close(), 30_000);

describe('orphan sweep', () => {
  it('removes processes of an environment nobody knows, without touching live ones', async () => {
    test = await startTestServer('sweep', { docker: false, engine: { sweepMs: 300 } });
    const { server } = test;
    const repository = join(test.dir, 'repo');
    mkdirSync(repository, { recursive: true });
    writeFileSync(join(repository, 'server.mjs'), "import { createServer } from 'node:http';\ncreateServer((req, res) => res.end('x')).listen(Number(process.env.PORT));\n");
    git(repository, 'init', '-q', '-b', 'main');
    const commit = commitAll(repository, 'ghost');
    const service: ResolvedService = {
      name: 'web',
      run: { command: ['node', 'server.mjs'] },
      ports: [{ port: 3000, protocol: 'http' }],
      env: {},
      dependsOn: [],
      initContainers: [],
      sidecars: [],
      replicas: 1,
      volumes: [],
      hostnames: [],
      ingress: { public: true, timeoutMs: 1000, connectTimeoutMs: 1000, maxBodyBytes: 1000 },
    } as unknown as ResolvedService;
    const ghost = { workspace: 'default', app: 'nobody', envId: 'ghost' };
    const driver = server.drivers.local!;
    // Sweeps run every 300 ms and may cut in at any point of these two calls; whatever they leave must go.
    await driver.prepareSource({ env: ghost, repository, commit, services: [service] });
    const applied = await driver.apply({ env: ghost, commit, services: [service], waitFor: 'started' });
    // A sweep may already have run by now: only the process id is kept to check it is gone.
    const pids = applied.outcome === 'succeeded' ? applied.services.flatMap((s) => s.instances.map((i) => Number(i.runtimeId))).filter((p) => p > 0) : [];
    const end = Date.now() + 10_000;
    while ((await driver.listOwned()).some((r) => r.env.envId === 'ghost') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect((await driver.listOwned()).filter((r) => r.env.envId === 'ghost')).toEqual([]);
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
  }, 30_000);
});
