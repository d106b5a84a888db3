// The endpoints the portal needs beyond the CLI's: who the token acts as (its header, and which
// actions it offers), an application's branches (its branch picker) and a deploy's progress as
// server-sent events (its step timeline).
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployResponse } from '@slipway/contract';
import { createApiToken } from '../../store/api-tokens.ts';
import { git, guestbookRepository } from '../../test-support/example-repository.ts';
import { httpRequest, startTestServer, type TestServer } from '../../test-support/test-server.ts';

let test: TestServer;
let token: string;
let repository: string;
const api = (method: string, path: string, body?: unknown) => httpRequest(Number(new URL(test.server.apiUrl).port), method, path, { token, body });

/** The events of an SSE stream, parsed, until it ends. */
async function readEvents(path: string): Promise<{ event: string; data: unknown }[]> {
  const response = await fetch(`${test.server.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event:'))
    .map((block) => {
      const lines = block.split('\n');
      return { event: lines[0]!.slice('event: '.length), data: JSON.parse(lines[1]!.slice('data: '.length)) as unknown };
    });
}

beforeAll(async () => {
  repository = guestbookRepository();
  git(repository, 'branch', 'feature-x');
  test = await startTestServer('portal-endpoints');
  token = (await createApiToken(test.server.store.db, { name: 'test', workspace: 'default', role: 'viewer', user: 'vera' })).secret;
  const admin = (await createApiToken(test.server.store.db, { name: 'admin', workspace: 'default', role: 'admin' })).secret;
  const registered = await httpRequest(Number(new URL(test.server.apiUrl).port), 'POST', '/api/v1/applications', { token: admin, body: { repository } });
  expect(registered.status, registered.text).toBe(201);
}, 60_000);

afterAll(async () => {
  await test?.close();
  if (repository) rmSync(repository, { recursive: true, force: true });
}, 60_000);

describe('GET /api/v1/whoami', () => {
  it("answers the token's user, workspace, role and the token", async () => {
    const answer = await api('GET', '/api/v1/whoami');
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json()).toEqual({ user: 'vera', workspace: 'default', role: 'viewer', approverRoles: [], token: { id: expect.any(String), name: 'test' } });
  });

  it('answers 401 without a token', async () => {
    const answer = await httpRequest(Number(new URL(test.server.apiUrl).port), 'GET', '/api/v1/whoami');
    expect(answer.status).toBe(401);
  });
});

describe('GET /api/v1/applications/{name}/branches', () => {
  it("lists the repository's branches with their commits", async () => {
    const answer = await api('GET', '/api/v1/applications/guestbook/branches');
    expect(answer.status, answer.text).toBe(200);
    const head = git(repository, 'rev-parse', 'HEAD');
    expect(answer.json()).toMatchObject({ items: [{ name: 'feature-x', commit: head }, { name: 'main', commit: head }], defaultBranch: 'main' });
  });

  it('answers 404 for an unknown application', async () => {
    const answer = await api('GET', '/api/v1/applications/nope/branches');
    expect(answer.status).toBe(404);
    expect(answer.json().error.message).toContain('no application "nope"');
  });
});

describe('GET /api/v1/deploys/{deployId}/events', () => {
  it("streams a deploy's tasks as they change, ending with the finished deploy", async () => {
    const created = await test.server.service.create('default', { app: 'guestbook', branch: 'feature-x' }, 'test');
    const events = await readEvents(`/api/v1/deploys/${created.deploy.id}/events`);
    expect(events.at(-1)?.event).toBe('end');
    const deploys = events.filter((e) => e.event === 'deploy').map((e) => e.data as DeployResponse);
    expect(deploys.length).toBeGreaterThan(1);
    const last = deploys.at(-1)!;
    expect(last.state, JSON.stringify(last)).toBe('succeeded');
    expect(last.tasks!.map((t) => t.state)).toEqual(last.tasks!.map(() => 'succeeded'));
    // Earlier events saw work still to do: the stream followed the deploy rather than reporting only its end.
    expect(deploys.some((d) => d.tasks!.some((t) => t.state === 'pending' || t.state === 'running'))).toBe(true);

    // A finished deploy answers its last state and ends at once.
    const again = await readEvents(`/api/v1/deploys/${created.deploy.id}/events`);
    expect(again.map((e) => e.event)).toEqual(['deploy', 'end']);
  }, 90_000);

  it('answers 404 for an unknown deploy', async () => {
    const answer = await api('GET', '/api/v1/deploys/00000000-0000-0000-0000-000000000000/events');
    expect(answer.status).toBe(404);
  });
});
