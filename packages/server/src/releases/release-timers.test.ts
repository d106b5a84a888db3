// What the clock decides, on a real server whose release controller never ticks (60 s): a soak
// ends and the release moves on by its own timer; an approval expires and no longer counts. On
// SQLite, and on PostgreSQL when SLIPWAY_TEST_DATABASE_URL names one.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseResponse } from '@slipway/contract';
import { startServer, type RunningServer } from '../start-server.ts';
import { createApiToken } from '../store/api-tokens.ts';
import { commitAll, git } from '../test-support/example-repository.ts';
import { testDatabases } from '../test-support/test-databases.ts';

for (const database of testDatabases()) {
  describe.skipIf(database.skip !== undefined)(`release timers on ${database.name}${database.skip ? ` (skipped: ${database.skip})` : ''}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-release-timers-'));
    let server: RunningServer;
    let disposeDatabase: (() => Promise<void>) | undefined;
    const tokens: Record<string, string> = {};

    async function call(who: string, method: string, path: string, body?: unknown): Promise<ReleaseResponse> {
      const response = await fetch(new URL(path, server.apiUrl), {
        method,
        headers: { authorization: `Bearer ${tokens[who]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const json = await response.json();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
      return json as ReleaseResponse;
    }

    async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<number> {
      const start = Date.now();
      while (!(await probe())) {
        if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return Date.now() - start;
    }

    beforeAll(async () => {
      const repository = join(dir, 'clock');
      mkdirSync(join(repository, '.slipway'), { recursive: true });
      writeFileSync(join(repository, 'server.mjs'), "import { createServer } from 'node:http';\ncreateServer((q, s) => s.end('ok')).listen(Number(process.env.PORT));\n");
      writeFileSync(join(repository, '.slipway/app.yaml'), 'apiVersion: slipway.dev/v1\nkind: Application\nmetadata: { name: clock }\nspec:\n  runtime: local\n  services:\n    - { name: web, run: { command: node server.mjs }, ports: [{ port: 3000 }] }\n');
      writeFileSync(
        join(repository, '.slipway/release.yaml'),
        `apiVersion: slipway.dev/v1
kind: ReleaseTrack
metadata: { name: clock-track }
spec:
  releaseStages:
    - environments: [soaking]
      gates: { soak: 1500ms }
    - environments: [signing]
      gates: { approvals: { required: [{ role: qa }, { role: product }], expireAfter: 2s } }
    - environments: [live]
---
apiVersion: slipway.dev/v1
kind: ApplicationSet
metadata: { name: clock-set }
spec: { applications: [clock], releaseTrack: clock-track }
`,
      );
      git(repository, 'init', '-q', '-b', 'main');
      commitAll(repository, 'clock');
      const created = await database.create();
      disposeDatabase = created.dispose;
      server = await startServer(
        { home: join(dir, 'home'), ...('databaseUrl' in created.location ? { databaseUrl: created.location.databaseUrl } : {}), apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath: join(dir, 'cli.yaml') },
        { graceMs: 1_000, docker: false, releases: { tickMs: 60_000, healthRecheckMs: 100 } },
      );
      for (const [user, role, approverRoles] of [
        ['admin', 'admin', []],
        ['quinn', 'developer', ['qa']],
        ['pat', 'developer', ['product']],
      ] as const) {
        tokens[user] = (await createApiToken(server.store.db, { name: 'test', workspace: 'default', role, user, approverRoles: [...approverRoles] })).secret;
      }
      await call('admin', 'POST', '/api/v1/applications', { repository });
      await call('admin', 'POST', '/api/v1/tracks', { files: [{ file: 'release.yaml', text: readFileSync(join(repository, '.slipway/release.yaml'), 'utf8') }] });
      await call('admin', 'POST', '/api/v1/sets', { repository });
    }, 60_000);

    afterAll(async () => {
      if (server) {
        for (const driver of Object.values(server.drivers)) await driver.sweep([]);
        await server.close();
      }
      await disposeDatabase?.();
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    describe('the clock', () => {
      it('moves on when the soak ends, without a tick; lets an approval expire', async () => {
        const snapshot = (await call('admin', 'POST', '/api/v1/snapshots', { set: 'clock-set' })) as unknown as { alias: string };
        await call('admin', 'POST', '/api/v1/releases', { snapshot: snapshot.alias });
        const get = () => call('admin', 'GET', '/api/v1/releases/1');
        await until('the soak to start', async () => (await get()).stages[0]!.state === 'Verifying');
        const soaking = await get();
        expect(soaking.stages[0]!.gates.find((g) => g.gate === 'soak')).toMatchObject({ status: 'pending', until: expect.any(String) });
        expect(soaking.stages[0]!.waitingFor).toMatch(/^soak: soaking 1500ms, until /);
        await until('the soak to end and signing to await approval', async () => (await get()).stages[1]?.state === 'AwaitingApproval');
        const signing = await get();
        expect(Date.parse(signing.stages[1]!.enteredAt!) - Date.parse(soaking.stages[0]!.deployedAt!)).toBeGreaterThanOrEqual(1_500);

        await call('quinn', 'POST', '/api/v1/releases/1/approve', {});
        await new Promise((r) => setTimeout(r, 2_200));
        const late = await call('pat', 'POST', '/api/v1/releases/1/approve', {});
        expect(late.stages[1]).toMatchObject({ state: 'AwaitingApproval', missingApprovals: [{ role: 'qa', count: 1 }] });
        expect(late.stages[1]!.approvals.find((a) => a.user === 'quinn')!.ignored).toMatch(/^expired at /);
        await call('quinn', 'POST', '/api/v1/releases/1/approve', { comment: 'again' });
        await until('the release to be promoted', async () => (await get()).state === 'Promoted');
      }, 60_000);
    });
  });
}
