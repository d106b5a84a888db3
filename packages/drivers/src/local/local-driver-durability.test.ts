// Local-driver specifics beyond the shared suite: restarting what died while no driver ran,
// finding processes that were never recorded, jobs that outlive the driver, secrets kept out of
// files, explicit host ports.
import { readdirSync, readFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentRef } from '@slipway/core';
import { commitAll, createFixtureRepository } from '../conformance/fixture-app.ts';
import { fixtureJob, fixtureService, httpGet, processAlive, waitUntil } from '../conformance/runtime-driver-conformance.ts';
import { allocatePort } from '../shared/ports.ts';
import { createLocalDriver, type LocalDriver } from './local-driver.ts';

const temporary: string[] = [];
let drivers: LocalDriver[] = [];
const pids = new Set<number>();
let repository = '';
let commit = '';
let counter = 0;

const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), `slipway-${prefix}-`));
  temporary.push(dir);
  return dir;
};
const newDriver = (stateDir = tempDir('state')) => {
  const driver = createLocalDriver({ stateDir, backoff: { initialMs: 200, maxMs: 1_000 }, graceMs: 2_000 });
  drivers.push(driver);
  return { driver, stateDir };
};
const newEnv = (): EnvironmentRef => ({ workspace: 'local', app: 'fixture', envId: `d${process.pid}-${++counter}` });

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

beforeAll(() => {
  repository = tempDir('repo');
  commit = createFixtureRepository(repository);
});

afterEach(async () => {
  for (const driver of drivers) {
    await driver.sweep([]).catch(() => undefined);
    await driver.close();
  }
  drivers = [];
  for (const pid of pids) {
    if (processAlive(pid)) process.kill(-pid, 'SIGKILL');
  }
  pids.clear();
}, 30_000);

afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

describe('local driver durability', () => {
  it('restarts, on the same port, an instance that died while no driver was running', async () => {
    const { driver, stateDir } = newDriver();
    const env = newEnv();
    await driver.prepareSource({ env, repository, commit, services: [fixtureService('web')] });
    expect(await driver.apply({ env, commit, services: [fixtureService('web')], waitFor: 'ready' })).toMatchObject({ outcome: 'succeeded' });
    const [before] = await driver.instances(env);
    const pid = Number(before!.runtimeId);
    pids.add(pid);
    await driver.close();
    process.kill(-pid, 'SIGKILL');
    await waitUntil('the process is gone', () => !processAlive(pid));
    const { driver: successor } = newDriver(stateDir);
    const [after] = await waitUntil('the successor restarts it', async () => {
      const list = await successor.instances(env);
      return list[0]?.state === 'ready' && list[0].runtimeId !== before!.runtimeId ? list : undefined;
    });
    pids.add(Number(after!.runtimeId));
    expect(after!.endpoints).toEqual(before!.endpoints);
    expect((await httpGet(after!.endpoints[0]!.hostPort, '/whoami')).status).toBe(200);
  });

  it('sweeps labelled processes the records lost (a kill between spawn and record)', async () => {
    const { driver, stateDir } = newDriver();
    const env = newEnv();
    await driver.prepareSource({ env, repository, commit, services: [fixtureService('web')] });
    await driver.apply({ env, commit, services: [fixtureService('web')], waitFor: 'ready' });
    const pid = Number((await driver.instances(env))[0]!.runtimeId);
    pids.add(pid);
    await driver.close();
    rmSync(join(stateDir, 'envs'), { recursive: true, force: true });
    const { driver: successor } = newDriver(stateDir);
    expect((await successor.listOwned()).filter((r) => r.kind === 'process').map((r) => r.id)).toEqual([String(pid)]);
    await successor.sweep([]);
    expect(processAlive(pid)).toBe(false);
  });

  it('waits for a job that a previous driver started instead of running it again', async () => {
    const { driver, stateDir } = newDriver();
    const env = newEnv();
    const counterFile = join(stateDir, 'counter');
    await driver.prepareSource({ env, repository, commit, services: [fixtureService('web')] });
    const request = { env, runId: 'run-1', commit, job: fixtureJob('slow', { JOB_SLEEP_MS: '1500', JOB_COUNTER: counterFile }), service: fixtureService('web') };
    const first = driver.runJob(request);
    await waitUntil('the job runs', () => readFileSync(counterFile, 'utf8').length > 0);
    await driver.close();
    const { driver: successor } = newDriver(stateDir);
    const adopted = await successor.runJob(request);
    expect(adopted).toMatchObject({ outcome: 'succeeded', exitCode: 0 });
    expect(adopted.logTail).toContain('job slept');
    await first;
    expect(readFileSync(counterFile, 'utf8')).toBe('ran\n');
  });

  it('injects secrets without writing them to its files, and refuses to start without them', async () => {
    const { driver, stateDir } = newDriver();
    const env = newEnv();
    const web = fixtureService('web', { env: { TOKEN: { secret: 'api', key: 'token' } } });
    await driver.prepareSource({ env, repository, commit, services: [fixtureService('web')] });
    const missing = await driver.apply({ env, commit, services: [web] });
    expect(missing).toMatchObject({ outcome: 'errored', reason: 'services.web: secrets not provided: api/token' });
    const applied = await driver.apply({ env, commit, services: [web], secrets: { 'api/token': 'sup3r-s3cret-value' }, waitFor: 'ready' });
    expect(applied.outcome).toBe('succeeded');
    pids.add(Number((await driver.instances(env))[0]!.runtimeId));
    // Injected, and masked in what exec prints.
    const seen = await driver.exec({ env, service: 'web', replica: 0 }, '[ "$TOKEN" = sup3r-s3cret-value ] && echo injected; echo "$TOKEN"');
    expect(seen.output.trim().split('\n')).toEqual(['injected', '***']);
    for (const file of filesUnder(stateDir).filter((f) => !f.includes(`${join('repos')}`))) {
      expect(readFileSync(file, 'utf8'), file).not.toContain('sup3r-s3cret-value');
    }
  });

  it('gives an instance the host port asked for when it is free', async () => {
    const { driver } = newDriver();
    const env = newEnv();
    const port = await allocatePort(new Set());
    await driver.prepareSource({ env, repository, commit, services: [fixtureService('web')] });
    const applied = await driver.apply({ env, commit, services: [fixtureService('web')], hostPorts: { web: port }, waitFor: 'ready' });
    expect(applied.outcome).toBe('succeeded');
    const [instance] = await driver.instances(env);
    pids.add(Number(instance!.runtimeId));
    expect(instance!.endpoints[0]!.hostPort).toBe(port);
    expect(await driver.apply({ env, commit, services: [fixtureService('web')], hostPorts: { web: port } })).toMatchObject({ outcome: 'succeeded', services: [{ action: 'unchanged' }] });
  });

  it('checks out a new commit beside the old one and replaces the service', async () => {
    const { driver } = newDriver();
    const env = newEnv();
    const repo = tempDir('repo2');
    const first = createFixtureRepository(repo);
    await driver.prepareSource({ env, repository: repo, commit: first, services: [] });
    await driver.apply({ env, commit: first, services: [fixtureService('web')], waitFor: 'ready' });
    writeFileSync(join(repo, 'app', 'VERSION'), '2');
    const second = commitAll(repo, 'second');
    const prepared = await driver.prepareSource({ env, repository: repo, commit: 'main', services: [] });
    expect(prepared).toMatchObject({ outcome: 'succeeded', commit: second });
    const applied = await driver.apply({ env, commit: second, services: [fixtureService('web')], waitFor: 'ready' });
    expect(applied).toMatchObject({ outcome: 'succeeded', services: [{ action: 'replaced' }] });
    const [instance] = await driver.instances(env);
    pids.add(Number(instance!.runtimeId));
    const { cwd } = JSON.parse((await httpGet(instance!.endpoints[0]!.hostPort, '/whoami')).body) as { cwd: string };
    expect(readFileSync(join(cwd, 'VERSION'), 'utf8')).toBe('2');
    // The first commit's checkout went with the instances that ran from it.
    expect((await driver.listOwned()).filter((r) => r.kind === 'checkout').map((r) => r.id.split('/').pop())).toEqual([second]);
  });
});
