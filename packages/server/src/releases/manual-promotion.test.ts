// A stage whose promotion is manual waits for a person; several people promoting it at the same
// moment record one promotion and one audit entry, the others are told someone was first. On
// SQLite, and on PostgreSQL when SLIPWAY_TEST_DATABASE_URL names one (where the requests really
// run in concurrent transactions).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseResponse } from '@slipway/contract';
import { startServer, type RunningServer } from '../start-server.ts';
import { createApiToken } from '../store/api-tokens.ts';
import { commitAll, git } from '../test-support/example-repository.ts';
import { until } from '../test-support/seed-release-track.ts';
import { testDatabases } from '../test-support/test-databases.ts';
import { apiCall, apiOk } from '../test-support/test-server.ts';

for (const database of testDatabases()) {
  describe.skipIf(database.skip !== undefined)(`manual promotion on ${database.name}${database.skip ? ` (skipped: ${database.skip})` : ''}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-manual-promotion-'));
    let server: RunningServer;
    let disposeDatabase: (() => Promise<void>) | undefined;
    let admin = '';

    const call = (method: string, path: string, body?: unknown) => apiCall(server.apiUrl, admin, method, path, body);
    const ok = <T>(method: string, path: string, body?: unknown): Promise<T> => apiOk(server.apiUrl, admin, method, path, body);

    beforeAll(async () => {
      const repository = join(dir, 'hand');
      mkdirSync(join(repository, '.slipway'), { recursive: true });
      writeFileSync(join(repository, 'server.mjs'), "import { createServer } from 'node:http';\ncreateServer((q, s) => s.end('ok')).listen(Number(process.env.PORT));\n");
      writeFileSync(join(repository, '.slipway/app.yaml'), 'apiVersion: slipway.dev/v1\nkind: Application\nmetadata: { name: hand }\nspec:\n  runtime: local\n  services:\n    - { name: web, run: { command: node server.mjs }, ports: [{ port: 3000 }] }\n');
      writeFileSync(
        join(repository, '.slipway/release.yaml'),
        `apiVersion: slipway.dev/v1
kind: ReleaseTrack
metadata: { name: hand-track }
spec:
  releaseStages:
    - { environments: [checked], promotion: manual }
    - environments: [shipped]
---
apiVersion: slipway.dev/v1
kind: ApplicationSet
metadata: { name: hand-set }
spec: { applications: [hand], releaseTrack: hand-track }
`,
      );
      git(repository, 'init', '-q', '-b', 'main');
      commitAll(repository, 'hand');
      const created = await database.create();
      disposeDatabase = created.dispose;
      server = await startServer(
        { home: join(dir, 'home'), ...('databaseUrl' in created.location ? { databaseUrl: created.location.databaseUrl } : {}), apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath: join(dir, 'cli.yaml'), metrics: { port: 0, host: '127.0.0.1' } },
        { graceMs: 1_000, docker: false },
      );
      admin = (await createApiToken(server.store.db, { name: 'test', workspace: 'default', role: 'admin', user: 'ada' })).secret;
      await ok('POST', '/api/v1/applications', { repository });
      await ok('POST', '/api/v1/tracks', { files: [{ file: 'release.yaml', text: readFileSync(join(repository, '.slipway/release.yaml'), 'utf8') }] });
      await ok('POST', '/api/v1/sets', { repository });
    }, 60_000);

    afterAll(async () => {
      if (server) {
        for (const driver of Object.values(server.drivers)) await driver.sweep([]);
        await server.close();
      }
      await disposeDatabase?.();
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('waits for a person, and records one promotion when five arrive at once', async () => {
      const snapshot = await ok<{ alias: string }>('POST', '/api/v1/snapshots', { set: 'hand-set' });
      await ok('POST', '/api/v1/releases', { snapshot: snapshot.alias });
      const get = () => ok<ReleaseResponse>('GET', '/api/v1/releases/1');
      await until('the stage to wait for its promotion', async () => ((await get()).stages[0]?.state === 'AwaitingApproval' ? true : undefined), 30_000);
      expect((await get()).stages[0]!.waitingFor).toMatch(/its promotion is manual/);

      const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => call('POST', '/api/v1/releases/1/promote', { reason: `promoter ${i}` })));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses.filter((s) => s === 200), JSON.stringify(answers)).toHaveLength(1);
      expect(statuses.filter((s) => s !== 200).every((s) => s === 409), JSON.stringify(answers)).toBe(true);

      const promoted = await get();
      expect(promoted.stages[0]!.approvals.filter((d) => d.decision === 'promote')).toHaveLength(1);
      const audit = await ok<{ items: { kind: string; details: Record<string, unknown> }[] }>('GET', '/api/v1/audit?kind=release.promote');
      expect(audit.items.filter((e) => e.details.manual === true)).toHaveLength(1);
      expect((await ok<{ ok: boolean }>('GET', '/api/v1/audit/verify')).ok).toBe(true);
    }, 60_000);
  });
}
