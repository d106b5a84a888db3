// Pause and resume end to end on one machine: the real server (SQLite, local driver, embedded router)
// runs the guestbook example; pausing stops its processes and its routes answer the paused page,
// resuming serves it again with its data, and neither runs a job or is open to a viewer or to a
// protected environment.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentResponse } from '@slipway/contract';
import { createApiToken } from '../store/api-tokens.ts';
import type { RunningServer } from '../start-server.ts';
import { guestbookRepository } from '../test-support/example-repository.ts';
import { processAlive } from '../test-support/process-alive.ts';
import { httpRequest as http, startTestServer, waitForDeploy, type TestServer } from '../test-support/test-server.ts';

let test: TestServer;
let server: RunningServer;
const tokens: Record<'admin' | 'developer' | 'viewer', string> = { admin: '', developer: '', viewer: '' };
let repository: string;
const host = 'guestbook-main.slipway.localhost';

const apiPort = () => Number(new URL(server.apiUrl).port);
const api = (who: keyof typeof tokens, method: string, path: string, body?: unknown) => http(apiPort(), method, path, { token: tokens[who], body });
const viaRouter = (path: string, headers: Record<string, string> = {}, method = 'GET', body?: unknown) => http(server.routerPort, method, path, { host, headers, body });
const environment = async () => (await api('viewer', 'GET', '/api/v1/environments/main')).json() as EnvironmentResponse;

beforeAll(async () => {
  repository = guestbookRepository();
  test = await startTestServer('pause');
  server = test.server;
  for (const role of ['admin', 'developer', 'viewer'] as const) tokens[role] = (await createApiToken(server.store.db, { name: role, workspace: 'default', role, user: `${role}-user` })).secret;
  expect((await api('admin', 'POST', '/api/v1/applications', { repository })).status).toBe(201);
  const created = await api('developer', 'POST', '/api/v1/environments', { app: 'guestbook', kind: 'permanent', id: 'main', branch: 'main' });
  expect(created.status, created.text).toBe(202);
  expect((await waitForDeploy(server, tokens.admin, created.json().deploy.id, 90_000)).state).toBe('succeeded');
}, 120_000);

afterAll(async () => {
  await test?.close();
  if (repository) rmSync(repository, { recursive: true, force: true });
}, 60_000);

describe('pausing and resuming an environment', () => {
  it('stops its processes, answers the paused page, and serves again with its data once resumed', async () => {
    const signed = await viaRouter('/api/entries', { 'content-type': 'application/json' }, 'POST', { name: 'Ada', message: 'kept across a pause' });
    expect(signed.status, signed.text).toBe(201);
    const before = await environment();
    const pids = before.instances!.map((i) => Number(i.runtimeId));
    expect(pids.length).toBe(2);
    const deploysBefore = (await api('viewer', 'GET', '/api/v1/environments/main/deploys')).json().items.length;

    const paused = await api('developer', 'POST', '/api/v1/environments/main/pause');
    expect(paused.status, paused.text).toBe(200);
    expect(paused.json()).toMatchObject({ id: 'main', status: 'paused' });
    for (const pid of pids) expect(processAlive(pid), `process ${pid}`).toBe(false);
    const listed = (await api('viewer', 'GET', '/api/v1/environments')).json().items as EnvironmentResponse[];
    expect(listed.find((e) => e.id === 'main')?.status).toBe('paused');
    expect((await environment()).instances!.map((i) => i.state)).toEqual(['stopped', 'stopped']);

    // API clients get 503 with Retry-After and a code; browsers get a page; the static site is paused too.
    const forClient = await viaRouter('/api/entries', { accept: 'application/json' });
    expect(forClient.status).toBe(503);
    expect(Number(forClient.headers['retry-after'])).toBeGreaterThan(0);
    expect(forClient.json().error).toMatchObject({ code: 'environment-paused' });
    const forBrowser = await viaRouter('/', { accept: 'text/html' });
    expect(forBrowser.status).toBe(503);
    expect(forBrowser.headers['content-type']).toContain('text/html');
    expect(forBrowser.text).toContain('is paused');
    // Still paused after the route publisher's resync (every 500 ms in tests) has looked again.
    await new Promise((r) => setTimeout(r, 1_200));
    expect((await viaRouter('/api/health', { accept: 'application/json' })).status).toBe(503);

    const again = await api('developer', 'POST', '/api/v1/environments/main/pause');
    expect(again.status).toBe(409);
    expect(again.json().error.message).toContain('slipway envs resume main');

    const started = Date.now();
    const resumed = await api('developer', 'POST', '/api/v1/environments/main/resume');
    expect(resumed.status, resumed.text).toBe(200);
    expect(resumed.json()).toMatchObject({ status: 'ready' });
    console.info(`resume until ready: ${Date.now() - started} ms (noisy: a shared machine)`);
    const entries = await viaRouter('/api/entries');
    expect(entries.status, entries.text).toBe(200);
    expect(entries.json().entries.map((e: { message: string }) => e.message)).toContain('kept across a pause');
    expect((await viaRouter('/')).text).toMatch(/<html/i);
    const after = await environment();
    expect(after.instances!.map((i) => i.state)).toEqual(['ready', 'ready']);
    for (const pid of after.instances!.map((i) => Number(i.runtimeId))) expect(pids).not.toContain(pid);
    // No deploy ran, so no job ran: the migration is not run again on resume.
    expect((await api('viewer', 'GET', '/api/v1/environments/main/deploys')).json().items.length).toBe(deploysBefore);
    expect((await api('developer', 'POST', '/api/v1/environments/main/resume')).status).toBe(409);
  }, 90_000);

  it('is refused to a viewer, and both are in the audit ledger', async () => {
    for (const verb of ['pause', 'resume']) {
      const refused = await api('viewer', 'POST', `/api/v1/environments/main/${verb}`);
      expect(refused.status, verb).toBe(403);
    }
    expect((await environment()).status).toBe('ready');
    const ledger = (await api('admin', 'GET', '/api/v1/audit?limit=100')).json().items as { kind: string; subject: string; actor: string; details: Record<string, unknown> }[];
    const entries = ledger.filter((e) => e.kind === 'environment.pause' || e.kind === 'environment.resume').reverse();
    expect(entries.map((e) => `${e.kind} ${e.subject} ${e.actor}`)).toEqual(['environment.pause main developer-user', 'environment.resume main developer-user']);
    expect(entries[1]!.details).toMatchObject({ app: 'guestbook', runtime: 'local', outcome: 'succeeded' });
  });

  it('a deploy into a paused environment resumes it', async () => {
    expect((await api('developer', 'POST', '/api/v1/environments/main/pause')).status).toBe(200);
    const deploy = await api('developer', 'POST', '/api/v1/environments/main/deploys', {});
    expect(deploy.status, deploy.text).toBe(202);
    expect((await waitForDeploy(server, tokens.admin, deploy.json().id, 90_000)).state).toBe('succeeded');
    expect((await environment()).status).toBe('ready');
    expect((await viaRouter('/api/health')).status).toBe(200);
  }, 120_000);

  it('is refused on a protected environment, except by an admin breaking glass', async () => {
    expect((await api('admin', 'PUT', '/api/v1/environments/main/protection', { reason: 'customer demo' })).status).toBe(200);
    for (const who of ['developer', 'admin'] as const) {
      const refused = await api(who, 'POST', '/api/v1/environments/main/pause');
      expect(refused.status, who).toBe(403);
      expect(refused.json().error.message).toMatch(/cannot be paused directly.*slipway envs pause main --break-glass/);
    }
    expect((await environment()).status).toBe('ready');
    const broken = await api('admin', 'POST', `/api/v1/environments/main/pause?breakGlass=${encodeURIComponent('free memory for the demo machine')}`);
    expect(broken.status, broken.text).toBe(200);
    const [entry] = (await api('admin', 'GET', '/api/v1/audit?limit=1')).json().items;
    expect(entry).toMatchObject({ kind: 'environment.break-glass', subject: 'main', details: { action: 'pause', reason: 'free memory for the demo machine' } });
    expect((await api('developer', 'POST', '/api/v1/environments/main/resume')).status).toBe(403);
    expect((await api('admin', 'POST', `/api/v1/environments/main/resume?breakGlass=${encodeURIComponent('demo over')}`)).json()).toMatchObject({ status: 'ready' });
    expect((await api('admin', 'DELETE', '/api/v1/environments/main/protection')).status).toBe(200);
  }, 90_000);

  it('wakes on the first request when paused with wakeOnRequest: the router holds it and serves it once ready', async () => {
    const paused = await api('developer', 'POST', '/api/v1/environments/main/pause', { wakeOnRequest: true });
    expect(paused.status, paused.text).toBe(200);
    expect(paused.json()).toMatchObject({ status: 'paused', wakeOnRequest: true });
    expect((await environment()).instances!.map((i) => i.state)).toEqual(['stopped', 'stopped']);
    const started = Date.now();
    const [first, second] = await Promise.all([viaRouter('/api/entries'), viaRouter('/api/health')]);
    const firstByteMs = Date.now() - started;
    console.info(`wake on request, until the held request was answered: ${firstByteMs} ms (noisy: a shared machine)`);
    expect(first.status, first.text).toBe(200);
    expect(first.json().entries.map((e: { message: string }) => e.message)).toContain('kept across a pause');
    expect(second.status).toBe(200);
    expect((await environment()).status).toBe('ready');
    const [entry] = (await api('admin', 'GET', '/api/v1/audit?limit=1')).json().items;
    expect(entry).toMatchObject({ kind: 'environment.resume', subject: 'main', actor: 'router (wake on request)', details: { trigger: 'request', outcome: 'succeeded' } });
    expect((await api('developer', 'POST', '/api/v1/environments/main/pause', { wakeOnRequest: 'yes' })).status).toBe(400);
  }, 60_000);
});
