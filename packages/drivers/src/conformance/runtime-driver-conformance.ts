// The conformance suite every RuntimeDriver passes: call `runtimeDriverConformance` from the
// driver's test with its factory. Each case is a real run against the driver (no mocks) of the
// small node application in fixture-app.ts, committed to a temporary git repository. A driver that
// cannot do a case lists it in `skip` with the reason, and the reason shows in the test report.
import { mkdtempSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Probe, ResolvedJob, ResolvedService } from '@slipway/contract';
import type { ApplyRequest, DriverFactory, EnvironmentRef, InstanceStatus, RuntimeDriver } from '@slipway/core';
import { createFixtureRepository } from './fixture-app.ts';

export const conformanceCases = [
  'apply starts a service that becomes ready and answers HTTP on its port',
  'apply twice is a no-op',
  'a changed spec replaces the instance',
  'services left out of a full apply are removed',
  'replicas get distinct ports',
  'a crash-looping service is reported with exit code and log tail',
  'instance changes are told to onInstanceChange listeners',
  'a failing readiness probe is reported',
  'a failing liveness probe restarts the instance',
  'init steps run before the service',
  'a failing init step blocks the start',
  'sidecars run beside the service',
  'a job that succeeds',
  'a job that fails',
  'a job that times out is stopped',
  'a job run is never repeated',
  'a job masks its secrets in its output, its log tail and its files',
  'a failing build is Failed with its log tail',
  'a host port in use is refused with a clear error',
  'logs can be followed',
  'exec runs in the instance working directory and environment',
  'link gives an importer the addresses of its imports, and destroying the importer leaves them running',
  'pause stops every instance and resume serves again on the same port',
  'destroy removes everything and destroying a missing thing succeeds',
  'a new driver instance adopts running processes',
  'sweep removes what no live environment owns',
] as const;

export type ConformanceCase = (typeof conformanceCases)[number];

export interface ConformanceOptions<D extends RuntimeDriver = RuntimeDriver> {
  /** Creates a driver on a state folder; called again with the same folder to check adoption. */
  factory: DriverFactory<D>;
  /** Cases this driver does not pass yet, each with the reason. */
  skip?: Partial<Record<ConformanceCase, string>>;
  /** Skips every case with this reason, e.g. when the engine the driver needs is not there. */
  skipAll?: string;
  /** Adapts the fixture's process services to the driver (e.g. gives them an image). */
  adaptService?: (service: ResolvedService) => ResolvedService;
  /** Multiplies every wait, for slow runtimes. */
  timeScale?: number;
  /**
   * Whether the process or container a runtime id names still runs. By default runtime ids are host
   * process ids, checked through the operating system; container runtimes ask their engine.
   */
  isRunning?: (runtimeId: string) => boolean | Promise<boolean>;
  /**
   * The port a service is told to listen on in $PORT: the host port it was given (`host`, local
   * processes; the default) or its manifest port, published on a host port (`manifest`, containers).
   */
  portInside?: 'host' | 'manifest';
  /**
   * Where the suite sends HTTP to an instance: 127.0.0.1 at its host port (`loopback`, the default),
   * or its endpoint's own host (`endpoint`: e.g. a pod's IP on a node's bridge).
   */
  reachAt?: 'loopback' | 'endpoint';
  /**
   * Whether the pids processes see are the host's (true by default). In containers they are not,
   * and the suite must never signal them; it then checks that a job stopped by its heartbeat alone.
   */
  hostPids?: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function probe(kind: 'http' | 'exec' | 'tcp', settings: Partial<Probe> & { path?: string } = {}): Probe {
  const { path, ...rest } = settings;
  const base = { initialDelay: '0s', period: '200ms', timeout: '1s', failureThreshold: 3, successThreshold: 1, ...rest };
  if (kind === 'http') return { ...base, http: { path: path ?? '/ready' } };
  if (kind === 'tcp') return { ...base, tcp: {} };
  return base as Probe;
}

export function fixtureService(name: string, overrides: Partial<ResolvedService> = {}): ResolvedService {
  return {
    name,
    run: { command: [process.execPath, 'server.mjs'], workdir: 'app' },
    ports: [{ port: 3000, protocol: 'http' }],
    env: {},
    dependsOn: [],
    readiness: probe('http'),
    initContainers: [],
    sidecars: [],
    replicas: 1,
    volumes: [],
    hostnames: [],
    ingress: { public: true, timeoutMs: 60_000, connectTimeoutMs: 5_000, maxBodyBytes: 1_000_000 },
    ...overrides,
  };
}

/** Every file under a folder, recursively ([] when it does not exist). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : entry.isFile() ? [join(dir, entry.name)] : []));
}

export function fixtureJob(name: string, env: Record<string, string>, timeoutMs = 30_000): ResolvedJob {
  return { name, fromService: 'web', command: [process.execPath, 'job.mjs'], env, timeoutMs, haltOnError: true, dependsOn: [] };
}

export function httpGet(port: number, path = '/', host = '127.0.0.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export async function waitUntil<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(100);
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill 0: read its state where /proc exists.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return existsSync('/proc') ? false : true;
  }
}

export function runtimeDriverConformance<D extends RuntimeDriver>(driverName: string, options: ConformanceOptions<D>): void {
  const scale = options.timeScale ?? 1;
  const hostPids = options.hostPids ?? true;
  const isRunning = async (runtimeId: string | undefined) => {
    if (runtimeId === undefined) return false;
    if (options.isRunning) return options.isRunning(runtimeId);
    return /^\d+$/.test(runtimeId) && processAlive(Number(runtimeId));
  };
  /** The port the instance's process listens on, as it reports it. */
  const portInside = (instance: InstanceStatus | undefined) => (options.portInside === 'manifest' ? (instance?.endpoints[0]?.port ?? -1) : (instance?.endpoints[0]?.hostPort ?? -1));
  const adapt = options.adaptService ?? ((s: ResolvedService) => s);
  let repository = '';
  let commitSha = '';
  const temporary: string[] = [];
  let drivers: D[] = [];
  const seenPids = new Set<number>();
  let counter = 0;

  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), `slipway-${prefix}-`));
    temporary.push(dir);
    return dir;
  };
  const newDriver = (stateDir = tempDir('state')) => {
    const driver = options.factory({ stateDir });
    drivers.push(driver);
    return { driver, stateDir };
  };
  const newEnv = (): EnvironmentRef => ({ workspace: 'conformance', app: 'fixture', envId: `t${process.pid}-${++counter}` });
  const remember = (instances: InstanceStatus[]) => {
    for (const i of instances) if (i.runtimeId && /^\d+$/.test(i.runtimeId)) seenPids.add(Number(i.runtimeId));
    return instances;
  };

  async function prepare(driver: D, env: EnvironmentRef, services: ResolvedService[]) {
    const prepared = await driver.prepareSource({ env, repository, commit: commitSha, services: services.map(adapt) });
    if (prepared.outcome !== 'succeeded') throw new Error(`prepareSource ${prepared.outcome}: ${prepared.reason}\n${prepared.logTail ?? ''}`);
    return prepared;
  }

  async function up(driver: D, env: EnvironmentRef, services: ResolvedService[], extra: Partial<ApplyRequest> = {}) {
    const prepared = await prepare(driver, env, services);
    const applied = await driver.apply({ env, commit: prepared.commit, services: services.map(adapt), waitFor: 'ready', timeoutMs: 20_000 * scale, ...extra });
    if (applied.outcome === 'succeeded') for (const s of applied.services) remember(s.instances);
    return { applied, commit: prepared.commit };
  }

  async function upReady(driver: D, env: EnvironmentRef, services: ResolvedService[], extra: Partial<ApplyRequest> = {}) {
    const { applied, commit } = await up(driver, env, services, extra);
    if (applied.outcome !== 'succeeded') throw new Error(`apply ${applied.outcome}: ${applied.reason}\n${applied.logTail ?? ''}`);
    return { services: applied.services, commit };
  }

  const instancesOf = async (driver: D, env: EnvironmentRef, service?: string) => remember(await driver.instances(env, service));
  const hostPort = (instance: InstanceStatus | undefined) => instance?.endpoints[0]?.hostPort ?? -1;
  const hostOf = (instance: InstanceStatus | undefined) => (options.reachAt === 'endpoint' ? (instance?.endpoints[0]?.host ?? '127.0.0.1') : '127.0.0.1');

  describe(`RuntimeDriver conformance: ${driverName}`, () => {
    beforeAll(() => {
      repository = tempDir('repo');
      commitSha = createFixtureRepository(repository);
    });

    afterEach(async () => {
      const current = drivers;
      drivers = [];
      for (const driver of current) {
        try {
          await driver.sweep([]);
        } catch {
          // a closed driver: a fresh one below sweeps its state
        }
        await driver.close();
      }
      // A driver's own sweep is under test too: whatever it missed is killed here and fails the run.
      const leaked = [...seenPids].filter(processAlive);
      for (const pid of leaked) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
      }
      seenPids.clear();
      expect(leaked, 'processes left running after sweep([])').toEqual([]);
    }, 30_000 * scale);

    afterAll(() => {
      for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
    });

    const test = (name: ConformanceCase, fn: () => Promise<void>, timeoutMs = 30_000) => {
      const reason = options.skipAll ?? options.skip?.[name];
      if (reason) it.skip(`${name} (skipped: ${reason})`, fn);
      else it(name, fn, timeoutMs * scale);
    };

    test('apply starts a service that becomes ready and answers HTTP on its port', async () => {
      const { driver } = newDriver();
      const env = newEnv();
      const { services } = await upReady(driver, env, [fixtureService('web')]);
      expect(services).toMatchObject([{ service: 'web', action: 'created' }]);
      const [instance] = await instancesOf(driver, env);
      expect(instance).toMatchObject({ service: 'web', replica: 0, state: 'ready', restarts: 0 });
      const answer = await httpGet(hostPort(instance), '/whoami', hostOf(instance));
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ port: portInside(instance) });
    });

    test('pause stops every instance and resume serves again on the same port', async () => {
      const { driver } = newDriver();
      if (!driver.pause || !driver.resume) throw new Error(`the ${driverName} driver has no pause and resume: skip this case with the reason`);
      const env = newEnv();
      await upReady(driver, env, [fixtureService('web')]);
      const [before] = await instancesOf(driver, env);
      const paused = await driver.pause(env);
      expect(paused.outcome).toBe('succeeded');
      const stopped = await instancesOf(driver, env);
      expect(stopped.map((i) => i.state)).toEqual(['stopped']);
      await expect(httpGet(hostPort(before), '/whoami')).rejects.toThrow();
      expect((await driver.pause(env)).outcome, 'pausing twice').toBe('succeeded');
      const resumed = await driver.resume({ env, timeoutMs: 20_000 * scale });
      expect(resumed).toMatchObject({ outcome: 'succeeded' });
      const [after] = await instancesOf(driver, env);
      expect(after).toMatchObject({ state: 'ready' });
      expect(hostPort(after)).toBe(hostPort(before));
      expect((await httpGet(hostPort(after), '/whoami')).status).toBe(200);
    });

    test('apply twice is a no-op', async () => {
      const { driver } = newDriver();
      const env = newEnv();
      await upReady(driver, env, [fixtureService('web')]);
      const [before] = await instancesOf(driver, env);
      const { services } = await upReady(driver, env, [fixtureService('web')]);
      expect(services[0]).toMatchObject({ action: 'unchanged' });
      const [after] = await instancesOf(driver, env);
      expect(after?.runtimeId).toBe(before?.runtimeId);
      expect(after?.specHash).toBe(before?.specHash);
    });

    test('a changed spec replaces the instance', async () => {
      const { driver } = newDriver();
      const env = newEnv();
      await upReady(driver, env, [fixtureService('web', { env: { VERSION: '1' } })]);
      const [before] = await instancesOf(driver, env);
      const { services } = await upReady(driver, env, [fixtureService('web', { env: { VERSION: '2' } })]);
      expect(services[0]).toMatchObject({ action: 'replaced' });
      const [after] = await instancesOf(driver, env);
      expect(after?.runtimeId).not.toBe(before?.runtimeId);
      expect(after?.specHash).not.toBe(before?.specHash);
      expect(JSON.parse((await httpGet(hostPort(after), '/whoami', hostOf(after))).body)).toMatchObject({ version: '2' });
      if (before?.runtimeId && /^\d+$/.test(before.runtimeId)) await waitUntil('the old process is gone', () => !processAlive(Number(before.runtimeId)));
    });

    test('services left out of a full apply are removed', async () => {
      const { driver } = newDriver();
      const env = newEnv();
      await upReady(driver, env, [fixtureService('web'), fixtureService('other')]);
      const [other] = await instancesOf(driver, env, 'other');
      const { services } = await upReady(driver, env, [fixtureService('web')]);
      expect(services.map((s) => [s.service, s.action])).toEqual([
        ['web', 'unchanged'],
        ['other', 'removed'],
      ]);
      expect(await driver.instances(env, 'other')).toEqual([]);
      if (other?.runtimeId && /^\d+$/.test(other.runtimeId)) expect(processAlive(Number(other.runtimeId))).toBe(false);
    });

    test('replicas get distinct ports', async () => {
      const { driver } = newDriver();
      const env = newEnv();
      await upReady(driver, env, [fixtureService('web', { replicas: 2 })]);
      const instances = await instancesOf(driver, env);
      expect(instances.map((i) => i.replica)).toEqual([0, 1]);
      expect(instances.every((i) => i.state === 'ready')).toBe(true);
      const ports = instances.map(hostPort);
      expect(new Set(ports).size).toBe(2);
      // A process is its pid on its host: containers each have their own host name and pid space.
      const answers = await Promise.all(ports.map(async (p) => JSON.parse((await httpGet(p, '/whoami')).body) as { pid: number; host: string }));
      expect(`${answers[0]!.pid}@${answers[0]!.host}`).not.toBe(`${answers[1]!.pid}@${answers[1]!.host}`);
    });

    test('a crash-looping service is reported with exit code and log tail', async () => {
      const { driver } = newDriver();
      const env = newEnv();
      const { applied } = await up(driver, env, [fixtureService('web', { env: { MODE: 'crash' } })]);
      expect(applied.outcome).toBe('failed');
      if (applied.outcome === 'succeeded') return;
      expect(applied.reason).toContain('crash-looping');
      expect(applied.logTail).toContain('boom');
      const [instance] = await waitUntil('the instance crash-loops', async () => {
        const list = await instancesOf(driver, env);
        return list[0]?.state === 'crash-looping' && list[0].lastExit ? list : undefined;
      });
      expect(instance!.lastExit?.code).toBe(3);
      expect(instance!.logTail).toContain('boom: the fixture was told to crash');
      expect(instance!.restarts).toBeGreaterThanOrEqual(1);
    });

    test('instance changes are told to onInstanceChange listeners', async () => {
      const { driver } = newDriver();
      if (!driver.onInstanceChange) throw new Error(`the ${driverName} driver has no onInstanceChange: skip this case with the reason`);
      const env = newEnv();
      const other = newEnv();
      const told: EnvironmentRef[] = [];
      const stop = driver.onInstanceChange((changed) => void told.push(changed));
      await upReady(driver, env, [fixtureService('web')]);
      // Ready is a change: it is told with the environment, and only that environment.
      await waitUntil('the ready instance is told', () => told.some((t) => t.envId === env.envId && t.app === env.app && t.workspace === env.workspace));
      expect(told.every((t) => t.envId === env.envId)).toBe(true);
      await up(driver, other, [fixtureService('web', { env: { MODE: 'crash' } })]);
      await waitUntil('the crash is told', () => told.some((t) => t.envId === other.envId));
      // Once the listener stops listening, nothing more is told to it.
      stop();
      const count = told.length;
      await waitUntil('the crashed instance restarts', async () => ((await instancesOf(driver, other))[0]?.restarts ?? 0) >= 2);
      expect(told.length).toBe(count);
    });

    test('a failing readiness probe is reported', async () => {
      const { driver } = newDriver();
      const env = newEnv();
      const web = fixtureService('web', { env: { READY_STATUS: '500' }, readiness: probe('http', { period: '100ms', failureThreshold: 2 }) });
      const { applied } = await up(driver, env, [web], { timeoutMs: 3_000 * scale });
      expect(applied.outcome).toBe('failed');
      expect(applied.outcome !== 'succeeded' && applied.reason).toMatch(/web-0 unhealthy: .*500/);
      const [instance] = await instancesOf(driver, env);
      expect(instance?.state).toBe('unhealthy');
      expect(instance?.message).toContain('500');
      expect(instance?.restarts).toBe(0);
    });

    test('a failing liveness probe restarts the instance', async () => {
      const { driver } = newDriver();
      const env = newEnv();
      const web = fixtureService('web', { env: { LIVE_FAIL: '1' }, liveness: probe('http', { path: '/live', period: '200ms', initialDelay: '300ms', failureThreshold: 2 }) });
      const prepared = await prepare(driver, env, [web]);
      const applied = await driver.apply({ env, commit: prepared.commit, services: [adapt(web)] });
      expect(applied.outcome).toBe('succeeded');
      const [first] = await waitUntil('the instance starts', async () => {
        const list = await instancesOf(driver, env);
        return list[0]?.runtimeId ? list : undefined;
      });
      const [restarted] = await waitUntil(
        'the instance is restarted',
        async () => {
          const list = await instancesOf(driver, env);
          return list[0] && list[0].restarts >= 1 && list[0].runtimeId && list[0].runtimeId !== first!.runtimeId ? list : undefined;
        },
        20_000 * scale,
      );
      expect(restarted!.lastExit?.reason).toMatch(/liveness probe failed/);
    });

    test('init steps run before the service', async () => {
      const { driver, stateDir } = newDriver();
      const env = newEnv();
      const marker = join(stateDir, `init-marker-${counter}`);
      const web = fixtureService('web', {
        env: { INIT_MARKER: marker },
        initContainers: [{ name: 'prepare', command: [process.execPath, 'init.mjs'] }],
      });
      await upReady(driver, env, [web]);
      const [instance] = await instancesOf(driver, env);
      expect(JSON.parse((await httpGet(hostPort(instance), '/whoami', hostOf(instance))).body)).toMatchObject({ initDone: true });
    });

    test('a failing init step blocks the start', async () => {
      const { driver } = newDriver();
      const env = newEnv();
      const web = fixtureService('web', { initContainers: [{ name: 'prepare', command: [process.execPath, 'init.mjs'], env: { INIT_EXIT: '5' } }] });
      const { applied } = await up(driver, env, [web]);
      expect(applied.outcome).toBe('failed');
      const [instance] = await instancesOf(driver, env);
      expect(instance).toMatchObject({ state: 'crash-looping', lastExit: { code: 5 } });
      expect(instance?.message).toContain('prepare');
      expect(instance?.logTail).toContain('init step failing with 5');
      expect(instance?.runtimeId).toBeUndefined();
      await expect(httpGet(hostPort(instance), '/whoami', hostOf(instance))).rejects.toThrow();
    });

    test('sidecars run beside the service', async () => {
      const { driver } = newDriver();
      const env = newEnv();
      const web = fixtureService('web', { sidecars: [{ name: 'helper', command: [process.execPath, 'sidecar.mjs'] }] });
      await upReady(driver, env, [web]);
      const lines: string[] = [];
      await waitUntil('the sidecar logs', async () => {
        lines.length = 0;
        for await (const line of driver.logs({ env, service: 'web', replica: 0, container: 'helper' })) lines.push(line);
        return lines.some((l) => l.includes('sidecar running beside web'));
      });
      const owned = (await driver.listOwned()).filter((r) => r.env.envId === env.envId && (r.kind === 'process' || r.kind === 'container'));
      for (const r of owned) if (/^\d+$/.test(r.id)) seenPids.add(Number(r.id));
      expect(owned.length).toBeGreaterThanOrEqual(2);
    });

    const jobRequest = async (driver: D, env: EnvironmentRef, runId: string, jobEnv: Record<string, string>, timeoutMs?: number) => {
      const prepared = await prepare(driver, env, [fixtureService('web')]);
      return { env, runId, commit: prepared.commit, job: fixtureJob('task', jobEnv, timeoutMs), service: adapt(fixtureService('web')) };
    };

    test('a job that succeeds', async () => {
      const { driver } = newDriver();
      const result = await driver.runJob(await jobRequest(driver, newEnv(), 'run-1', {}));
      expect(result).toMatchObject({ outcome: 'succeeded', exitCode: 0, timedOut: false, recorded: false });
      expect('logTail' in result && result.logTail).toContain('job ran with mode ok');
    });

    test('a job that fails', async () => {
      const { driver } = newDriver();
      const result = await driver.runJob(await jobRequest(driver, newEnv(), 'run-1', { JOB_MODE: 'fail' }));
      expect(result).toMatchObject({ outcome: 'failed', exitCode: 4, timedOut: false });
      expect(result.logTail).toContain('job failing on purpose');
    });

    test('a job that times out is stopped', async () => {
      const { driver, stateDir } = newDriver();
      const pidFile = join(stateDir, 'job.pid');
      const heartbeat = join(stateDir, 'job.heartbeat');
      const result = await driver.runJob(await jobRequest(driver, newEnv(), 'run-1', { JOB_MODE: 'sleep', JOB_PID_FILE: pidFile, JOB_HEARTBEAT: heartbeat }, 1_500 * scale));
      expect(result).toMatchObject({ outcome: 'failed', timedOut: true });
      if (hostPids) {
        const pid = Number(readFileSync(pidFile, 'utf8'));
        seenPids.add(pid);
        await waitUntil('the timed-out job is gone', () => !processAlive(pid));
      }
      // The job beats every 100 ms while it runs: a beat that stops changing means it was stopped.
      await waitUntil('the timed-out job stops beating', async () => {
        const before = readFileSync(heartbeat, 'utf8');
        await sleep(500);
        return readFileSync(heartbeat, 'utf8') === before;
      });
    });

    test('a job run is never repeated', async () => {
      const { driver, stateDir } = newDriver();
      const counterFile = join(stateDir, 'counter');
      const env = newEnv();
      const request = await jobRequest(driver, env, 'run-42', { JOB_COUNTER: counterFile });
      const [first, concurrent] = await Promise.all([driver.runJob(request), driver.runJob(request)]);
      expect(first).toMatchObject({ outcome: 'succeeded', recorded: false });
      expect(concurrent).toMatchObject({ outcome: 'succeeded', exitCode: 0 });
      expect(await driver.runJob(request)).toMatchObject({ outcome: 'succeeded', exitCode: 0, recorded: true });
      await driver.close();
      const { driver: again } = newDriver(stateDir);
      expect(await again.runJob(request)).toMatchObject({ outcome: 'succeeded', recorded: true });
      expect(readFileSync(counterFile, 'utf8')).toBe('ran\n');
      const other = await again.runJob({ ...request, runId: 'run-43' });
      expect(other).toMatchObject({ outcome: 'succeeded', recorded: false });
      expect(readFileSync(counterFile, 'utf8')).toBe('ran\nran\n');
    });

    test('a job masks its secrets in its output, its log tail and its files', async () => {
      const { driver, stateDir } = newDriver();
      const secret = 'c0nf0rmance "secret" /value+&';
      const request = await jobRequest(driver, newEnv(), 'run-1', { JOB_MODE: 'fail' });
      request.job = { ...request.job, env: { ...request.job.env, JOB_SECRET: { secret: 'token' } } };
      const lines: string[] = [];
      const result = await driver.runJob({ ...request, secrets: { token: secret }, onOutput: (line) => lines.push(line) });
      expect(result).toMatchObject({ outcome: 'failed', exitCode: 4 });
      const forms = [secret, Buffer.from(secret).toString('base64'), Buffer.from(`user:${secret}`).toString('base64').slice(8, 40), encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
      const tail = 'logTail' in result ? (result.logTail ?? '') : '';
      expect(tail).toContain('secret ***');
      expect(lines.join('\n')).toContain('secret base64 *** embedded ');
      const shown = [tail, JSON.stringify(result), ...lines, ...filesUnder(stateDir).filter((f) => !f.includes('/repos/')).map((f) => readFileSync(f, 'latin1'))];
      for (const form of forms) expect(shown.filter((text) => text.includes(form) || text.includes(Buffer.from(form).toString('latin1'))), form).toEqual([]);
    });

    test('a failing build is Failed with its log tail', async () => {
      const { driver } = newDriver();
      const web = fixtureService('web', { run: { command: [process.execPath, 'server.mjs'], workdir: 'app', build: [process.execPath, 'build.mjs'] }, env: { BUILD_FAIL: '1' } });
      const prepared = await driver.prepareSource({ env: newEnv(), repository, commit: commitSha, services: [adapt(web)] });
      expect(prepared.outcome).toBe('failed');
      expect(prepared.outcome !== 'succeeded' && prepared.logTail).toContain('build broke: missing semicolon');
      const missing = await driver.prepareSource({ env: newEnv(), repository, commit: 'no-such-branch', services: [] });
      expect(missing).toMatchObject({ outcome: 'failed' });
      expect(missing.outcome !== 'succeeded' && missing.reason).toContain('no-such-branch');
    });

    test('a host port in use is refused with a clear error', async () => {
      const { driver } = newDriver();
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, resolve));
      try {
        const port = (blocker.address() as { port: number }).port;
        const { applied } = await up(driver, newEnv(), [fixtureService('web')], { hostPorts: { web: port } });
        expect(applied.outcome).toBe('failed');
        expect(applied.outcome !== 'succeeded' && applied.reason).toContain(`${port} is already in use`);
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
    });

    test('logs can be followed', async () => {
      const { driver } = newDriver();
      const env = newEnv();
      await upReady(driver, env, [fixtureService('web')]);
      const [instance] = await instancesOf(driver, env);
      const controller = new AbortController();
      const seen: string[] = [];
      const following = (async () => {
        for await (const line of driver.logs({ env, service: 'web', replica: 0 }, { follow: true, tail: 5, signal: controller.signal })) {
          seen.push(line);
          if (line.includes('echo followed-line')) controller.abort();
        }
      })();
      await waitUntil('the follower read the existing lines', () => seen.some((l) => l.includes('started pid')));
      await httpGet(hostPort(instance), '/echo?msg=followed-line', hostOf(instance));
      await waitUntil('the new line is followed', () => seen.some((l) => l.includes('echo followed-line')));
      controller.abort();
      await following;
      const tail: string[] = [];
      for await (const line of driver.logs({ env, service: 'web', replica: 0 }, { tail: 1 })) tail.push(line);
      expect(tail).toHaveLength(1);
    });

    test('exec runs in the instance working directory and environment', async () => {
      const { driver } = newDriver();
      const env = newEnv();
      await upReady(driver, env, [fixtureService('web', { env: { VERSION: 'exec-check' } })]);
      const [instance] = await instancesOf(driver, env);
      const whoami = JSON.parse((await httpGet(hostPort(instance), '/whoami', hostOf(instance))).body) as { cwd: string };
      const result = await driver.exec({ env, service: 'web', replica: 0 }, [process.execPath, '-e', 'console.log(process.cwd() + " " + process.env.VERSION + " " + process.env.PORT)']);
      expect(result).toMatchObject({ exitCode: 0, timedOut: false });
      expect(result.output.trim()).toBe(`${whoami.cwd} exec-check ${portInside(instance)}`);
      expect((await driver.exec({ env, service: 'web', replica: 0 }, 'exit 7')).exitCode).toBe(7);
    });

    test('link gives an importer the addresses of its imports, and destroying the importer leaves them running', async () => {
      const { driver } = newDriver();
      if (!driver.link) throw new Error(`the ${driverName} driver has no link: skip this case with the reason`);
      const importer = newEnv();
      const imported = { ...newEnv(), app: 'fixture-backend' };
      await upReady(driver, imported, [fixtureService('api', { env: { VERSION: 'imported' } })]);
      const request = { env: importer, services: ['web'], peers: [{ env: imported, services: ['api', 'absent'] }] };
      const linked = await driver.link(request);
      if (linked.outcome !== 'succeeded') throw new Error(`link ${linked.outcome}: ${linked.reason}`);
      expect(linked.addresses.map((a) => [a.env, a.service])).toEqual([[imported, 'api']]);
      const [address] = linked.addresses;
      // Linked before the importer's services start, as a deploy does: they reach the import at the address.
      await upReady(driver, importer, [fixtureService('web')]);
      const call = `fetch('http://${address!.host}:${address!.port}/whoami').then((r) => r.json()).then((b) => console.log(b.version), (e) => { console.error(String(e.cause ?? e)); process.exit(1); })`;
      const answer = await driver.exec({ env: importer, service: 'web', replica: 0 }, [process.execPath, '-e', call], { timeoutMs: 10_000 * scale });
      expect(answer.output.trim()).toBe('imported');
      expect(answer.exitCode).toBe(0);
      const again = await driver.link(request);
      expect(again).toEqual(linked);
      const [before] = await instancesOf(driver, imported);
      await driver.destroy({ env: importer });
      const [after] = await instancesOf(driver, imported);
      expect(after).toMatchObject({ state: 'ready', runtimeId: before!.runtimeId });
      expect(JSON.parse((await httpGet(hostPort(after), '/whoami', hostOf(after))).body)).toMatchObject({ version: 'imported' });
      expect((await driver.listOwned()).filter((r) => r.env.envId === importer.envId)).toEqual([]);
    }, 45_000);

    test('destroy removes everything and destroying a missing thing succeeds', async () => {
      const { driver } = newDriver();
      const env = newEnv();
      await upReady(driver, env, [fixtureService('web', { replicas: 2 })]);
      await driver.runJob(await jobRequest(driver, env, 'run-1', {}));
      const ids = (await instancesOf(driver, env)).map((i) => i.runtimeId);
      for (const id of ids) expect(await isRunning(id)).toBe(true);
      await driver.destroy({ env });
      for (const id of ids) expect(await isRunning(id)).toBe(false);
      expect(await driver.instances(env)).toEqual([]);
      expect((await driver.listOwned()).filter((r) => r.env.envId === env.envId)).toEqual([]);
      await driver.destroy({ env });
      await driver.destroy({ env: newEnv() });
      await driver.destroy({ env, services: ['nothing-here'] });
    });

    test('a new driver instance adopts running processes', async () => {
      const { driver, stateDir } = newDriver();
      const env = newEnv();
      await upReady(driver, env, [fixtureService('web')]);
      const [before] = await instancesOf(driver, env);
      await driver.close();
      const { driver: successor } = newDriver(stateDir);
      const [adopted] = await waitUntil('the successor reports the instance ready', async () => {
        const list = await instancesOf(successor, env);
        return list[0]?.state === 'ready' ? list : undefined;
      });
      expect(adopted?.runtimeId).toBe(before?.runtimeId);
      expect(hostPort(adopted)).toBe(hostPort(before));
      // Converging again with the same spec keeps the adopted process.
      const { services } = await upReady(successor, env, [fixtureService('web')]);
      expect(services[0]?.action).toBe('unchanged');
      expect((await instancesOf(successor, env))[0]?.runtimeId).toBe(before?.runtimeId);
      await successor.destroy({ env });
      expect(await isRunning(before?.runtimeId)).toBe(false);
    });

    test('sweep removes what no live environment owns', async () => {
      const { driver, stateDir } = newDriver();
      const kept = newEnv();
      const orphan = newEnv();
      await upReady(driver, kept, [fixtureService('web')]);
      await upReady(driver, orphan, [fixtureService('web')]);
      const [keptInstance] = await instancesOf(driver, kept);
      const [orphanInstance] = await instancesOf(driver, orphan);
      const owners = new Set((await driver.listOwned()).map((r) => r.env.envId));
      expect(owners).toEqual(new Set([kept.envId, orphan.envId]));
      const report = await driver.sweep([kept]);
      expect(report.removed.length).toBeGreaterThan(0);
      expect(report.removed.every((r) => r.env.envId === orphan.envId)).toBe(true);
      expect(await isRunning(orphanInstance?.runtimeId)).toBe(false);
      expect(await isRunning(keptInstance?.runtimeId)).toBe(true);
      // After the server died (the driver is gone without stopping anything), a new one sweeps too.
      await driver.close();
      const { driver: successor } = newDriver(stateDir);
      await successor.sweep([]);
      expect(await isRunning(keptInstance?.runtimeId)).toBe(false);
      expect(await successor.listOwned()).toEqual([]);
    });
  });
}
