// A starting instance is probed quickly until it is first ready, so it does not wait a whole
// readiness period; failures still count once per period.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFixtureRepository } from '../conformance/fixture-app.ts';
import { fixtureService, probe } from '../conformance/runtime-driver-conformance.ts';
import { createLocalDriver } from './local-driver.ts';

const dirs: string[] = [];
const temp = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), `slipway-${prefix}-`));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('readiness while starting', () => {
  it('turns ready long before a slow readiness period, and only turns unhealthy after the manifest’s periods', async () => {
    const repository = temp('repo');
    const commit = createFixtureRepository(repository);
    const driver = createLocalDriver({ stateDir: temp('state'), graceMs: 2_000 });
    const env = { workspace: 'local', app: 'fixture', envId: `startup-${process.pid}` };
    try {
      const services = [
        fixtureService('web', { readiness: probe('http', { period: '5s', failureThreshold: 3 }) }),
        fixtureService('never', { readiness: probe('http', { period: '1s', failureThreshold: 2 }), env: { READY_STATUS: '500' } }),
      ];
      expect((await driver.prepareSource({ env, repository, commit, services })).outcome).toBe('succeeded');
      const started = Date.now();
      const web = await driver.apply({ env, commit, services, only: ['web'], waitFor: 'ready', timeoutMs: 10_000 });
      expect(web.outcome).toBe('succeeded');
      expect(Date.now() - started).toBeLessThan(2_500);

      const neverStarted = Date.now();
      await driver.apply({ env, commit, services, only: ['never'], waitFor: 'started' });
      let state = '';
      while (Date.now() - neverStarted < 6_000) {
        state = (await driver.instances(env, 'never'))[0]?.state ?? '';
        if (state === 'unhealthy') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(state).toBe('unhealthy');
      // Two failures, counted a period apart: not before one period has passed.
      expect(Date.now() - neverStarted).toBeGreaterThanOrEqual(900);
    } finally {
      await driver.destroy({ env });
      await driver.close();
    }
  }, 30_000);
});
