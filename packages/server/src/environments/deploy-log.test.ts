// A deploy's log: the bounded writer, and the guestbook's setup deploy writing its task lines and the
// web build's output into it, served (and followed until the deploy ends) by GET /api/v1/deploys/{id}/log.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../store/api-tokens.ts';
import type { RunningServer } from '../start-server.ts';
import { guestbookRepository } from '../test-support/example-repository.ts';
import { httpRequest as http, startTestServer, type TestServer } from '../test-support/test-server.ts';
import { DeployLogs, readDeployLog } from './deploy-log.ts';

const deployId = '0f0e0d0c-0b0a-4909-8807-060504030201';

describe('the bounded deploy log writer', () => {
  let dir: string;
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'slipway-deploy-log-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops taking output at its cap after one note, but still takes task lines', async () => {
    const logs = new DeployLogs(join(dir, 'deploys'), 1_000);
    logs.task(deployId, '▸ step 1 web · service web started');
    for (let i = 0; i < 100; i++) logs.output(deployId, `web | line ${i} ${'x'.repeat(40)}`);
    logs.task(deployId, '✓ step 1 web · service web succeeded');
    const path = logs.path(deployId);
    expect(statSync(path).size).toBeLessThan(1_300);
    const lines: string[] = [];
    for await (const line of readDeployLog(path)) lines.push(line);
    expect(lines[0]).toBe('▸ step 1 web · service web started');
    expect(lines.filter((l) => l.includes('reached its limit'))).toHaveLength(1);
    expect(lines.at(-1)).toBe('✓ step 1 web · service web succeeded');
    // A writer of a later process (a restarted server) knows the log is full.
    new DeployLogs(join(dir, 'deploys'), 1_000).output(deployId, 'web | one more');
    expect(readFileSync(path, 'utf8')).not.toContain('one more');
  });

  it('refuses a path outside its folder', () => {
    expect(() => new DeployLogs(dir).path('../etc/passwd')).toThrow(/not a deploy id/);
  });

  it('follows a log until the deploy ends, then gives what is left', async () => {
    const logs = new DeployLogs(join(dir, 'follow'));
    logs.task(deployId, 'first');
    let ended = false;
    const lines: string[] = [];
    const reading = (async () => {
      for await (const line of readDeployLog(logs.path(deployId), { follow: true, ended: async () => ended, pollMs: 20 })) lines.push(line);
    })();
    await new Promise((r) => setTimeout(r, 60));
    logs.task(deployId, 'last');
    ended = true;
    await reading;
    expect(lines).toEqual(['first', 'last']);
  });
});

describe('the deploy log of a guestbook deploy', () => {
  let test: TestServer;
  let server: RunningServer;
  let token: string;
  let repository: string;
  const apiPort = () => Number(new URL(server.apiUrl).port);
  const api = (method: string, path: string, body?: unknown) => http(apiPort(), method, path, { token, body });

  beforeAll(async () => {
    repository = guestbookRepository();
    test = await startTestServer('deploy-log');
    server = test.server;
    token = (await createApiToken(server.store.db, { name: 'test', workspace: 'default', role: 'viewer' })).secret;
    const admin = (await createApiToken(server.store.db, { name: 'admin', workspace: 'default', role: 'admin' })).secret;
    const registered = await http(apiPort(), 'POST', '/api/v1/applications', { token: admin, body: { repository } });
    expect(registered.status, registered.text).toBe(201);
    const created = await http(apiPort(), 'POST', '/api/v1/environments', { token: admin, body: { app: 'guestbook', kind: 'ephemeral', id: 'logs', branch: 'main' } });
    expect(created.status, created.text).toBe(202);
    deploy = created.json().deploy.id;
  }, 60_000);
  let deploy: string;

  afterAll(async () => {
    await test?.close();
    if (repository) rmSync(repository, { recursive: true, force: true });
  }, 60_000);

  it('streams the log with follow=true until the deploy ends: task lines and the build and job output', async () => {
    // Asked while the deploy runs: the answer ends once the deploy does.
    const followed = await api('GET', `/api/v1/deploys/${deploy}/log?follow=true`);
    expect(followed.status).toBe(200);
    const state = (await api('GET', `/api/v1/deploys/${deploy}`)).json().state;
    expect(state).toBe('succeeded');
    const lines = followed.text.trimEnd().split('\n');
    expect(lines[0], followed.text).toMatch(/^▸ setup deploy #1 of guestbook\/logs started/);
    expect(lines.some((l) => /^▸ source · checking out \S+ and building$/.test(l)), followed.text).toBe(true);
    expect(lines.some((l) => /^web \| built .*dist \(commit [0-9a-f]+\)/.test(l)), followed.text).toBe(true);
    expect(lines.some((l) => /^migrate \| migrate: /.test(l)), followed.text).toBe(true);
    expect(lines.some((l) => /^▸ step 1 .*· job migrate started$/.test(l)), followed.text).toBe(true);
    expect(lines.some((l) => /^✓ step 1 .*· job migrate succeeded$/.test(l)), followed.text).toBe(true);
    expect(lines.some((l) => /^✓ step \d+ .*· service api succeeded$/.test(l)), followed.text).toBe(true);
    expect(lines.at(-1)).toBe('✓ setup deploy #1 succeeded');

    const again = await api('GET', `/api/v1/deploys/${deploy}/log`);
    expect(again.text).toBe(followed.text);
    expect(readFileSync(join(test.dir, 'home', 'deploys', `${deploy}.log`), 'utf8')).toBe(followed.text);
  }, 90_000);

  it('answers 404 for a deploy that does not exist', async () => {
    expect((await api('GET', '/api/v1/deploys/00000000-0000-4000-8000-000000000000/log')).status).toBe(404);
  });
});
