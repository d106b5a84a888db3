// The guestbook example, end to end on plain processes: its manifests load and render, the web build,
// the migrate job, the api, the worker and the stand-alone web server all do what README.md says.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { applicationManifest, environmentManifest, type ApplicationManifest } from '@slipway/contract';
import { importCompose, renderEnvironment, validateManifestFiles } from '@slipway/core';

const here = path.dirname(fileURLToPath(import.meta.url));
const apiDir = path.join(here, 'api');
const children = new Set<ChildProcess>();
const temporary: string[] = [];

interface Entry {
  id: string;
  name: string;
  message: string;
  createdAt: string;
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a script with node and only the variables given: nothing leaks in from the test runner. */
function start(script: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Started {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => {
    children.delete(child);
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  return { child, output: () => output, exited };
}

async function run(script: string, args: string[], options: { cwd: string; env?: Record<string, string> }) {
  const started = start(script, args, options);
  const { code } = await started.exited;
  return { code, output: started.output() };
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `guestbook-${prefix}-`));
  temporary.push(dir);
  return dir;
}

/** A port nobody listens on right now: the services take their port from $PORT, as under Slipway. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function waitFor(url: string, started: Started, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void started.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the process exited before ${url} answered:\n${started.output()}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${started.output()}`);
}

/** POSTs with node:http, to control Content-Length and chunking; errors after the answer (the server closed early) are fine. */
function rawPost(port: number, chunks: string[], headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/api/entries', headers }, (res) => {
      answered = true;
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

function commandScript(command: string | string[]): string {
  const words = Array.isArray(command) ? command : command.split(/\s+/);
  expect(words[0]).toBe('node');
  return words[1]!;
}

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(temporary.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('manifests', () => {
  const slipwayDir = path.join(here, '.slipway');
  let application: ApplicationManifest;

  beforeAll(async () => {
    const parsed = applicationManifest.safeParse(parse(await readFile(path.join(slipwayDir, 'guestbook.yaml'), 'utf8')));
    expect(parsed.error?.issues ?? []).toEqual([]);
    application = parsed.data!;
  });

  it('has a staging Environment that matches the contract', async () => {
    const parsed = environmentManifest.safeParse(parse(await readFile(path.join(slipwayDir, 'staging.yaml'), 'utf8')));
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data?.spec).toMatchObject({ application: 'guestbook', branch: 'main', template: 'permanent' });
  });

  it('loads with no errors or warnings', async () => {
    const names = (await readdir(slipwayDir)).filter((name) => name.endsWith('.yaml')).sort();
    expect(names).toEqual(['guestbook.yaml', 'staging.yaml']);
    const files = await Promise.all(names.map(async (file) => ({ file, text: await readFile(path.join(slipwayDir, file), 'utf8') })));
    const result = validateManifestFiles(files);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it('names scripts and Dockerfiles that exist', () => {
    const workdirOf = new Map<string, string>();
    for (const service of application.spec.services) {
      if (service.static) {
        workdirOf.set(service.name, service.static.workdir ?? '.');
        expect(existsSync(path.join(here, service.static.workdir ?? '.', commandScript(service.static.build!)))).toBe(true);
      }
      if (service.run) {
        workdirOf.set(service.name, service.run.workdir ?? '.');
        expect(existsSync(path.join(here, service.run.workdir ?? '.', commandScript(service.run.command)))).toBe(true);
      }
      if (service.build) expect(existsSync(path.join(here, service.build.context, service.build.dockerfile ?? 'Dockerfile'))).toBe(true);
    }
    // A job with fromService runs in that service's checkout folder.
    for (const job of application.spec.jobs) {
      expect(existsSync(path.join(here, workdirOf.get(job.fromService!)!, commandScript(job.command)))).toBe(true);
    }
  });

  it('renders an ephemeral environment with /api on the page\'s host', () => {
    const rendered = renderEnvironment(
      application,
      { id: 'pr-42', kind: 'ephemeral', branch: 'feature/x', commit: '0123456789abcdef0123456789abcdef01234567' },
      { domain: 'slipway.localhost', scheme: 'http', defaultRuntime: 'local' },
    );
    expect(rendered.errors).toEqual([]);
    const env = rendered.value!;
    expect(env.ttlMs).toBe(72 * 3600 * 1000);
    const host = 'guestbook-pr-42.slipway.localhost';
    const routes = env.routes.filter((r) => r.host === host).map((r) => [r.pathPrefix, r.service, r.static]);
    expect(routes).toEqual([
      ['/api', 'api', false],
      ['/', 'web', true],
    ]);
    const migrate = env.jobs.find((j) => j.name === 'migrate')!;
    const api = env.services.find((s) => s.name === 'api')!;
    const worker = env.services.find((s) => s.name === 'worker')!;
    // migrate, api and worker must agree on DATA_DIR (and run in the same folder) to share the data.
    expect(migrate.env.DATA_DIR).toBe('./data');
    expect(api.env.DATA_DIR).toBe('./data');
    expect(worker.env.DATA_DIR).toBe('./data');
    expect(api.env).toMatchObject({ SLIPWAY_ENV_ID: 'pr-42', PUBLIC_URL: `http://${host}`, GREETING: 'Welcome to a preview of the guestbook!' });
    expect(worker.env.STATS_INTERVAL_SECONDS).toBe('30');
    expect(env.workflows.setup.map((step) => step.tasks.map((t) => ('name' in t ? t.name : t.kind)))).toEqual([['web', 'migrate'], ['api'], ['worker']]);
  });

  it('has a Compose equivalent whose api waits for migrate', async () => {
    const compose = parse(await readFile(path.join(here, 'compose.yaml'), 'utf8'), { merge: true }) as {
      services: Record<string, { build?: string | { context: string; dockerfile?: string }; depends_on?: Record<string, { condition: string }>; volumes?: string[] }>;
      volumes: Record<string, unknown>;
    };
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'migrate', 'web', 'worker']);
    expect(compose.services.api!.depends_on).toEqual({ migrate: { condition: 'service_completed_successfully' } });
    expect(compose.services.worker!.depends_on).toEqual({ api: { condition: 'service_healthy' } });
    for (const name of ['migrate', 'api', 'worker']) expect(compose.services[name]!.volumes).toEqual(['data:/app/data']);
    // Each image builds from its own folder, so a change to the page rebuilds only web's.
    const contexts = Object.fromEntries(Object.entries(compose.services).map(([name, { build }]) => [name, typeof build === 'string' ? { context: build } : build!]));
    expect(Object.fromEntries(Object.entries(contexts).map(([name, build]) => [name, build.context]))).toEqual({ migrate: 'api', api: 'api', worker: 'api', web: 'web' });
    for (const build of Object.values(contexts)) expect(existsSync(path.join(here, build.context, build.dockerfile ?? 'Dockerfile'))).toBe(true);
    expect(Object.keys(compose.volumes)).toEqual(['data']);
  });
});

describe('the docker runtime manifest', () => {
  const file = path.join(here, '.slipway-docker', 'guestbook.yaml');

  it('loads with no errors or warnings', async () => {
    expect((await readdir(path.dirname(file))).sort()).toEqual(['guestbook.yaml']);
    const result = validateManifestFiles([{ file: 'guestbook.yaml', text: await readFile(file, 'utf8') }]);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it('is what importing compose.yaml gives, with hostnames of its own', async () => {
    const imported = importCompose({ file: 'compose.yaml', text: await readFile(path.join(here, 'compose.yaml'), 'utf8'), name: 'guestbook-docker' });
    expect(imported.errors).toEqual([]);
    const committed = parse(await readFile(file, 'utf8')) as { spec: { services: { name: string; hostnames?: string[] }[] } };
    expect(committed.spec.services.map((s) => [s.name, s.hostnames])).toEqual([
      ['api', ['guestbook-docker-api-${env_id}.${domain}']],
      ['worker', undefined],
      ['web', ['guestbook-docker-${env_id}.${domain}']],
    ]);
    for (const service of committed.spec.services) delete service.hostnames;
    expect(committed).toEqual(imported.value);
  });

  it('does not share a hostname with the guestbook on the local runtime', async () => {
    const settings = { domain: 'slipway.localhost', scheme: 'http' as const, defaultRuntime: 'local' as const };
    const identity = { id: 'pr-1', kind: 'ephemeral' as const, branch: 'x' };
    const hosts = async (relative: string) => {
      const manifest = applicationManifest.parse(parse(await readFile(path.join(here, relative), 'utf8')));
      return renderEnvironment(manifest, identity, settings).value!.routes.map((r) => r.host);
    };
    const local = await hosts('.slipway/guestbook.yaml');
    const docker = await hosts('.slipway-docker/guestbook.yaml');
    expect(docker.sort()).toEqual(['guestbook-docker-api-pr-1.slipway.localhost', 'guestbook-docker-pr-1.slipway.localhost']);
    expect(docker.filter((host) => local.includes(host))).toEqual([]);
  });
});

describe('web build', () => {
  it('fingerprints the assets and records the commit', async () => {
    const out = path.join(await tempDir('web'), 'dist');
    const result = await run('build.mjs', ['--out', out], { cwd: path.join(here, 'web'), env: { SLIPWAY_COMMIT_SHORT: 'abc1234' } });
    expect(result.code, result.output).toBe(0);
    const info = JSON.parse(await readFile(path.join(out, 'build-info.json'), 'utf8')) as { commit: string; files: Record<string, string> };
    expect(info.commit).toBe('abc1234');
    expect(info.files['app.js']).toMatch(/^app\.[0-9a-f]{8}\.js$/);
    expect(info.files['style.css']).toMatch(/^style\.[0-9a-f]{8}\.css$/);
    expect((await readdir(out)).sort()).toEqual(['build-info.json', 'index.html', info.files['app.js'], info.files['style.css']].sort());
    const html = await readFile(path.join(out, 'index.html'), 'utf8');
    expect(html).toContain(`src="${info.files['app.js']}"`);
    expect(html).toContain(`href="${info.files['style.css']}"`);
    expect(html).not.toMatch(/"(app\.js|style\.css)"/);

    // A rebuild replaces its own output.
    const again = await run('build.mjs', ['--out', out], { cwd: path.join(here, 'web') });
    expect(again.code, again.output).toBe(0);
    expect(JSON.parse(await readFile(path.join(out, 'build-info.json'), 'utf8'))).toMatchObject({ commit: null });
  });

  it('refuses to empty a folder it did not write', async () => {
    const out = await tempDir('foreign');
    await writeFile(path.join(out, 'precious.txt'), 'keep me');
    const result = await run('build.mjs', ['--out', out], { cwd: path.join(here, 'web') });
    expect(result.code).toBe(1);
    expect(result.output).toContain('holds files this build did not write');
    expect(await readFile(path.join(out, 'precious.txt'), 'utf8')).toBe('keep me');
  });
});

describe('migrate', () => {
  it('creates the data file, and a second run changes nothing', async () => {
    const dataDir = path.join(await tempDir('migrate'), 'data');
    const first = await run('migrate.mjs', [], { cwd: apiDir, env: { DATA_DIR: dataDir } });
    expect(first.code, first.output).toBe(0);
    const file = path.join(dataDir, 'guestbook.json');
    const created = await readFile(file, 'utf8');
    expect(JSON.parse(created)).toMatchObject({ schemaVersion: 2, entries: [] });

    const second = await run('migrate.mjs', [], { cwd: apiDir, env: { DATA_DIR: dataDir } });
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain('nothing to do');
    expect(await readFile(file, 'utf8')).toBe(created);
  });

  it('upgrades a version 1 file and keeps its entries', async () => {
    const dataDir = await tempDir('upgrade');
    await writeFile(path.join(dataDir, 'guestbook.json'), JSON.stringify({ schemaVersion: 1, entries: [{ name: 'Ada', message: 'first!' }] }));
    const result = await run('migrate.mjs', [], { cwd: apiDir, env: { DATA_DIR: dataDir } });
    expect(result.code, result.output).toBe(0);
    const data = JSON.parse(await readFile(path.join(dataDir, 'guestbook.json'), 'utf8')) as { schemaVersion: number; entries: Entry[] };
    expect(data.schemaVersion).toBe(2);
    expect(data.entries).toEqual([{ id: expect.any(String), name: 'Ada', message: 'first!', createdAt: '1970-01-01T00:00:00.000Z' }]);
  });

  it.each([
    ['a newer schema version', JSON.stringify({ schemaVersion: 99, entries: [] }), 'refusing to downgrade'],
    ['a file that is not JSON', '{ "schemaVersion": 2, ', 'is not valid JSON'],
    ['JSON that is not a guestbook', '[1, 2, 3]', 'is not a guestbook data file'],
  ])('refuses %s and leaves it as it is', async (_what, content, message) => {
    const dataDir = await tempDir('refuse');
    await writeFile(path.join(dataDir, 'guestbook.json'), content);
    const result = await run('migrate.mjs', [], { cwd: apiDir, env: { DATA_DIR: dataDir } });
    expect(result.code).toBe(1);
    expect(result.output).toContain(message);
    expect(await readFile(path.join(dataDir, 'guestbook.json'), 'utf8')).toBe(content);
  });

  it('is required before the api starts', async () => {
    const dataDir = await tempDir('unmigrated');
    const result = await run('server.mjs', [], { cwd: apiDir, env: { DATA_DIR: dataDir, PORT: String(await freePort()) } });
    expect(result.code).toBe(1);
    expect(result.output).toContain('guestbook.json does not exist: run');
  });
});

it('refuses a configuration it cannot use, saying why', async () => {
  const result = await run('server.mjs', [], { cwd: apiDir, env: { PORT: 'http', MAX_BODY_BYTES: '-1' } });
  expect(result.code).toBe(1);
  expect(result.output).toContain('PORT must be a whole number from 0 to 65535, got \\"http\\"');
  expect(result.output).toContain('MAX_BODY_BYTES must be a whole number from 1 to 10485760');
});

describe('api, worker and web server', () => {
  let dataDir: string;
  let api: Started;
  let base: string;
  let port: number;
  const env = () => ({
    DATA_DIR: dataDir,
    PORT: String(port),
    GREETING: 'Hello from the tests',
    SLIPWAY_ENV_ID: 'pr-7',
    SLIPWAY_BRANCH: 'feature/guestbook',
    SLIPWAY_COMMIT_SHA: 'fedcba9876543210fedcba9876543210fedcba98',
    SLIPWAY_COMMIT_SHORT: 'fedcba9',
    MAX_BODY_BYTES: '2048',
  });
  const post = (body: unknown, contentType = 'application/json') =>
    fetch(`${base}/api/entries`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  beforeAll(async () => {
    dataDir = path.join(await tempDir('api'), 'data');
    const migrated = await run('migrate.mjs', [], { cwd: apiDir, env: { DATA_DIR: dataDir } });
    expect(migrated.code, migrated.output).toBe(0);
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = start('server.mjs', [], { cwd: apiDir, env: env() });
    await waitFor(`${base}/api/health`, api);
  });

  it('answers the readiness probe', async () => {
    const response = await fetch(`${base}/api/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('tells which environment it runs in', async () => {
    const response = await fetch(`${base}/api/info`);
    expect(await response.json()).toEqual({
      app: 'guestbook',
      envId: 'pr-7',
      branch: 'feature/guestbook',
      commit: 'fedcba9876543210fedcba9876543210fedcba98',
      commitShort: 'fedcba9',
      url: null,
      greeting: 'Hello from the tests',
    });
  });

  it('saves entries and lists them newest first', async () => {
    const first = await post({ name: '  Grace ', message: 'Hello\nfrom line two' });
    expect(first.status).toBe(201);
    const saved = (await first.json()) as Entry;
    expect(saved).toMatchObject({ name: 'Grace', message: 'Hello\nfrom line two' });
    expect(first.headers.get('location')).toBe(`/api/entries/${saved.id}`);
    expect((await post({ name: 'Linus', message: 'Second' })).status).toBe(201);

    const list = (await (await fetch(`${base}/api/entries`)).json()) as { entries: Entry[]; total: number };
    expect(list.total).toBe(2);
    expect(list.entries.map((e) => e.name)).toEqual(['Linus', 'Grace']);
    const limited = (await (await fetch(`${base}/api/entries?limit=1`)).json()) as { entries: Entry[]; total: number };
    expect(limited).toMatchObject({ total: 2, entries: [{ name: 'Linus' }] });

    const stored = JSON.parse(await readFile(path.join(dataDir, 'guestbook.json'), 'utf8')) as { entries: Entry[] };
    expect(stored.entries.map((e) => e.name)).toEqual(['Grace', 'Linus']);
  });

  it.each([
    ['no name', { message: 'hi' }, [{ field: 'name', message: 'name is required' }]],
    ['a blank message', { name: 'Ann', message: '   ' }, [{ field: 'message', message: 'message must not be empty' }]],
    ['a name that is not text', { name: 42, message: 'hi' }, [{ field: 'name', message: 'name must be text, got number' }]],
    ['a name too long', { name: 'x'.repeat(81), message: 'hi' }, [{ field: 'name', message: 'name must be at most 80 characters, got 81' }]],
    ['a line break in the name', { name: 'A\nB', message: 'hi' }, [{ field: 'name', message: 'name must not contain control characters or line breaks' }]],
    ['an unknown field', { name: 'Ann', message: 'hi', admin: true }, [{ field: 'admin', message: 'unknown field admin: send only name and message' }]],
    ['a list', [{ name: 'Ann', message: 'hi' }], [{ field: null, message: 'expected a JSON object { "name": "…", "message": "…" }' }]],
  ])('refuses an entry with %s: 400 naming the field', async (_what, body, issues) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'the entry is not valid', issues });
  });

  it('refuses a body that is not JSON', async () => {
    const invalid = await post('{"name": "Ann",');
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: string }).error).toMatch(/^the body is not valid JSON: /);
    const wrongType = await post('name=Ann&message=hi', 'application/x-www-form-urlencoded');
    expect(wrongType.status).toBe(415);
    expect(await wrongType.json()).toEqual({ error: 'send the entry as JSON with Content-Type: application/json' });
  });

  it('refuses an oversized body with 413, whether its length is declared or not', async () => {
    const big = JSON.stringify({ name: 'Big', message: 'x'.repeat(4000) });
    const declared = await rawPost(port, [big], { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(big)) });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toEqual({ error: `request body is ${Buffer.byteLength(big)} bytes; the limit is 2048` });

    const chunks = Array.from({ length: 8 }, () => 'x'.repeat(512));
    const streamed = await rawPost(port, chunks, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    expect(streamed.status).toBe(413);
    expect(streamed.headers.connection).toBe('close');
    expect(JSON.parse(streamed.body)).toEqual({ error: 'request body is larger than the limit of 2048 bytes' });

    // Still serving, and nothing was stored.
    const list = (await (await fetch(`${base}/api/entries`)).json()) as { entries: Entry[] };
    expect(list.entries.some((e) => e.name === 'Big')).toBe(false);
  });

  it('answers unknown paths, methods and parameters clearly', async () => {
    const missing = await fetch(`${base}/api/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no such endpoint: /api/nope' });
    const method = await fetch(`${base}/api/entries`, { method: 'DELETE' });
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('GET, POST, HEAD');
    await method.arrayBuffer();
    const limit = await fetch(`${base}/api/entries?limit=500`);
    expect(limit.status).toBe(400);
    expect(await limit.json()).toEqual({ error: 'limit must be a whole number from 1 to 100, got "500"' });
  });

  it('serves the counts the worker computed', async () => {
    expect(await (await fetch(`${base}/api/stats`)).json()).toEqual({ stats: null });
    const stale = await run('worker.mjs', ['--check'], { cwd: apiDir, env: { DATA_DIR: dataDir } });
    expect(stale.code).toBe(1);

    const worker = start('worker.mjs', [], { cwd: apiDir, env: { DATA_DIR: dataDir, STATS_INTERVAL_SECONDS: '0.1' } });
    const statsFile = path.join(dataDir, 'stats.json');
    const deadline = Date.now() + 3000;
    while (!existsSync(statsFile) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const { stats } = (await (await fetch(`${base}/api/stats`)).json()) as { stats: Record<string, unknown> };
    expect(stats).toMatchObject({ entryCount: 2, authorCount: 2, computedAt: expect.any(String) });

    const fresh = await run('worker.mjs', ['--check'], { cwd: apiDir, env: { DATA_DIR: dataDir } });
    expect(fresh.code, fresh.output).toBe(0);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const firstWrite = (await stat(statsFile)).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await stat(statsFile)).mtimeMs).toBe(firstWrite);
  });

  it('serves the built page with /api sent to the api, outside Slipway', async () => {
    const out = path.join(await tempDir('serve'), 'dist');
    await mkdir(out);
    const built = await run('build.mjs', ['--out', out], { cwd: path.join(here, 'web') });
    expect(built.code, built.output).toBe(0);
    const webPort = await freePort();
    const web = start('serve.mjs', [], { cwd: path.join(here, 'web'), env: { PORT: String(webPort), STATIC_DIR: out, API_URL: base } });
    const webBase = `http://127.0.0.1:${webPort}`;
    await waitFor(`${webBase}/api/health`, web);

    const page = await fetch(`${webBase}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const script = /src="(app\.[0-9a-f]{8}\.js)"/.exec(await page.text())?.[1];
    const asset = await fetch(`${webBase}/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    await asset.arrayBuffer();
    const info = (await (await fetch(`${webBase}/api/info`)).json()) as { envId: string };
    expect(info.envId).toBe('pr-7');
    const outside = await fetch(`${webBase}/..%2f..%2fpackage.json`);
    expect(outside.status).toBe(404);
    await outside.arrayBuffer();

    web.child.kill('SIGTERM');
    expect(await web.exited).toEqual({ code: 0, signal: null });
  });

  // Last: it stops the api the other tests use.
  it('stops on SIGTERM with exit code 0, keeping what it saved', async () => {
    api.child.kill('SIGTERM');
    expect(await api.exited).toEqual({ code: 0, signal: null });
    expect(api.output()).toContain('"msg":"stopped"');
    const stored = JSON.parse(await readFile(path.join(dataDir, 'guestbook.json'), 'utf8')) as { entries: Entry[] };
    expect(stored.entries).toHaveLength(2);
  });
});
