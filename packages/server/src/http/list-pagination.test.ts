// Every list endpoint answers a page: `limit` (1 to 1000, default 100) and an opaque `cursor` in,
// `items` and `nextCursor` out. The endpoints come from the real server's OpenAPI document, so a new
// list without paging fails here. Pages are walked against a real server with rows being created and
// deleted between them, and each list still shows only what the caller's workspace holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RenderedEnvironment } from '@slipway/contract';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '@slipway/contract';
import { createApiToken } from '../store/api-tokens.ts';
import { putApplication } from '../store/applications.ts';
import { httpRequest, startTestServer, type HttpAnswer, type TestServer } from '../test-support/test-server.ts';
import { operationsOf } from './operation-roles.ts';

let test: TestServer;
const tokens: Record<'admin' | 'payments', string> = { admin: '', payments: '' };
const call = (who: keyof typeof tokens, path: string, method = 'GET', body?: unknown): Promise<HttpAnswer> =>
  httpRequest(Number(new URL(test.server.apiUrl).port), method, path, { token: tokens[who], ...(body !== undefined ? { body } : {}) });

/** Inserts a live environment straight into the store (the engine is stopped: nothing deploys it). */
async function seedEnvironment(workspace: string, envId: string): Promise<void> {
  const { application } = await putApplication(test.server.store.db, { workspace, manifest: { apiVersion: 'slipway.dev/v1', kind: 'Application', metadata: { name: 'shop' }, spec: { services: [] } } as never, source: 'api' });
  const rendered = { app: 'shop', envId, urls: {}, runtime: 'local', services: [], workflows: { setup: [], patch: [], teardown: [] } } as unknown as RenderedEnvironment;
  await test.server.environments.createEnvironment({ workspace, applicationId: application.id, app: 'shop', envId, kind: 'ephemeral', branch: 'main', commit: 'a'.repeat(40), templateVersion: application.currentVersion, variables: {}, rendered });
}

/** Every item of a list, page by page with `limit`, and how many pages it took. */
async function walk(who: keyof typeof tokens, path: string, limit: number, between?: (page: number) => Promise<void>): Promise<{ items: Record<string, unknown>[]; pages: number }> {
  const items: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const answer = await call(who, `${path}${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(answer.status, answer.text).toBe(200);
    const page = answer.json() as { items: Record<string, unknown>[]; nextCursor: string | null };
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    cursor = page.nextCursor;
    pages++;
    await between?.(pages);
  } while (cursor);
  return { items, pages };
}

beforeAll(async () => {
  test = await startTestServer('list-pagination', { docker: false });
  await test.server.engine.stop();
  tokens.admin = (await createApiToken(test.server.store.db, { name: 'admin', workspace: 'default', role: 'admin' })).secret;
  tokens.payments = (await createApiToken(test.server.store.db, { name: 'payments', workspace: 'payments', role: 'admin', user: 'pat' })).secret;
  for (let i = 0; i < 25; i++) await seedEnvironment('default', `env-${String(i).padStart(2, '0')}`);
  for (let i = 0; i < 3; i++) await seedEnvironment('payments', `pay-${i}`);
}, 60_000);

afterAll(async () => {
  await test?.close();
}, 60_000);

describe('every list endpoint', () => {
  it('takes limit and cursor and answers nextCursor, as its OpenAPI document says', async () => {
    const document = (await call('admin', '/api/openapi.json')).json() as { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, { content?: Record<string, { schema: { properties?: Record<string, { type?: string }> } }> }> }>> };
    const lists = operationsOf(document).filter((op) => {
      const [method, path] = op.split(' ') as [string, string];
      const schema = document.paths[path]![method.toLowerCase()]!.responses['200']?.content?.['application/json']?.schema;
      return method === 'GET' && schema?.properties?.items?.type === 'array';
    });
    expect(lists.length).toBeGreaterThanOrEqual(17);
    const problems = lists.flatMap((op) => {
      const [method, path] = op.split(' ') as [string, string];
      const operation = document.paths[path]![method.toLowerCase()]!;
      const query = new Set((operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
      const properties = operation.responses['200']!.content!['application/json']!.schema.properties!;
      return [...(query.has('limit') && query.has('cursor') ? [] : [`${op} takes no limit and cursor`]), ...('nextCursor' in properties ? [] : [`${op} answers no nextCursor`])];
    });
    expect(problems).toEqual([]);
  });

  it('refuses a limit out of bounds or not a number with a 400 that names it and its range, and a tampered cursor with a 400 naming cursor', async () => {
    const paths = ['/api/v1/environments', '/api/v1/applications', '/api/v1/secrets', '/api/v1/users', '/api/v1/tokens', '/api/v1/workspaces', '/api/v1/previews', '/api/v1/releases', '/api/v1/snapshots', '/api/v1/sets', '/api/v1/tracks', '/api/v1/release-plans', '/api/v1/release-plan-admissions', '/api/v1/managed-releases', '/api/v1/audit', '/api/v1/environments/env-00/deploys'];
    for (const path of paths) {
      for (const limit of ['0', String(MAX_PAGE_LIMIT + 1), 'ten', '-1', '2.5']) {
        const answer = await call('admin', `${path}?limit=${limit}`);
        expect(answer.status, `${path}?limit=${limit}: ${answer.text}`).toBe(400);
        expect(answer.json().error.message).toBe(`invalid query parameter limit="${limit}": expected an integer from 1 to ${MAX_PAGE_LIMIT} (the default is ${DEFAULT_PAGE_LIMIT})`);
        expect(answer.json().error.diagnostics).toEqual([expect.objectContaining({ path: 'limit' })]);
      }
      expect((await call('admin', `${path}?limit=${MAX_PAGE_LIMIT}`)).status, path).toBe(200);
      for (const cursor of ['garbage', 'a.b', '']) {
        if (cursor === '') continue;
        const answer = await call('admin', `${path}?cursor=${cursor}`);
        expect(answer.status, `${path}?cursor=${cursor}`).toBe(400);
        expect(answer.json().error.message).toMatch(/^invalid query parameter cursor: .*nextCursor of the previous page/);
      }
    }
  });
});

describe('GET /api/v1/environments', () => {
  it('answers the first page of 100 by default, and nextCursor null on the last page', async () => {
    const answer = (await call('admin', '/api/v1/environments')).json();
    expect(answer.items).toHaveLength(25);
    expect(answer.nextCursor).toBeNull();
  });

  it('refuses a cursor that was edited, cut short, or issued by another list', async () => {
    const first = (await call('admin', '/api/v1/environments?limit=5')).json() as { nextCursor: string };
    const [payload, check] = first.nextCursor.split('.') as [string, string];
    const decoded = Buffer.from(payload, 'base64url').toString('utf8');
    const edited = `${Buffer.from(decoded.replace('env-04', 'env-09')).toString('base64url')}.${check}`;
    for (const cursor of [edited, first.nextCursor.slice(0, -3), `${payload}.${check}.x`]) {
      const answer = await call('admin', `/api/v1/environments?cursor=${encodeURIComponent(cursor)}`);
      expect(answer.status, cursor).toBe(400);
      expect(answer.json().error.diagnostics[0].path).toBe('cursor');
    }
    const foreign = await call('admin', `/api/v1/applications?cursor=${encodeURIComponent(first.nextCursor)}`);
    expect(foreign.status).toBe(400);
    expect(foreign.json().error.message).toMatch(/a cursor of GET \/api\/v1\/environments, not of this list/);
  });

  it('lists every environment exactly once while others are created and deleted between pages', async () => {
    const before = ((await call('admin', '/api/v1/environments?limit=1000')).json() as { items: { id: string }[] }).items.map((e) => e.id);
    const doomed = ['env-03', 'env-11', 'env-19'];
    const { items, pages } = await walk('admin', '/api/v1/environments', 4, async (page) => {
      await seedEnvironment('default', `aaa-new-${page}`);
      await seedEnvironment('default', `zzz-new-${page}`);
      const id = doomed[page - 1];
      if (id) {
        const env = await test.server.environments.getLive('default', id);
        await test.server.environments.updateEnvironment(env!.id, { status: 'deleted', deletedAt: new Date().toISOString() });
      }
    });
    expect(pages).toBeGreaterThan(5);
    const ids = items.map((e) => e.id as string);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of before.filter((id) => !doomed.includes(id))) expect(ids).toContain(id);
    // Created while the walk went on: "aaa-" ones sort before its position, so none is seen; every
    // "zzz-" one but the last (created after the last page) is ahead of it, so it is.
    expect(ids.filter((id) => id.startsWith('aaa-new-'))).toEqual([]);
    expect(ids.filter((id) => id.startsWith('zzz-new-')).length).toBe(pages - 1);
  });

  it("shows each workspace only its own environments, on every page", async () => {
    const payments = await walk('payments', '/api/v1/environments', 2);
    expect(payments.items.map((e) => e.id)).toEqual(['pay-0', 'pay-1', 'pay-2']);
    const mine = await walk('admin', '/api/v1/environments', 50);
    expect(mine.items.some((e) => String(e.id).startsWith('pay-'))).toBe(false);
    // A cursor of one workspace's list read by another shows that one's rows after the position, never the first's.
    const first = (await call('admin', '/api/v1/environments?limit=1')).json() as { nextCursor: string };
    const crossed = (await call('payments', `/api/v1/environments?cursor=${encodeURIComponent(first.nextCursor)}`)).json() as { items: { id: string }[] };
    expect(crossed.items.map((e) => e.id)).toEqual(['pay-0', 'pay-1', 'pay-2']);
  });
});

describe('what the portal reads instead of whole lists', () => {
  it('answers one environment by id as a page, and each application with its count of live environments', async () => {
    const one = (await call('admin', '/api/v1/environments?id=env-05')).json() as { items: { id: string }[]; nextCursor: string | null };
    expect(one).toEqual({ items: [expect.objectContaining({ id: 'env-05' })], nextCursor: null });
    expect(((await call('admin', '/api/v1/environments?id=pay-0')).json() as { items: unknown[] }).items).toEqual([]);
    const live = ((await call('admin', '/api/v1/environments?limit=1000')).json() as { items: unknown[] }).items.length;
    const apps = (await call('admin', '/api/v1/applications')).json() as { items: { name: string; liveEnvironments: number }[] };
    expect(apps.items).toEqual([expect.objectContaining({ name: 'shop', liveEnvironments: live })]);
    expect(((await call('payments', '/api/v1/applications')).json() as { items: unknown[] }).items).toEqual([expect.objectContaining({ name: 'shop', liveEnvironments: 3 })]);
  });
});

describe('other lists', () => {
  it('pages secrets, users, tokens and the audit ledger exactly once each', async () => {
    for (let i = 0; i < 7; i++) expect((await call('admin', `/api/v1/secrets/s-${i}`, 'PUT', { value: `v${i}` })).status).toBeLessThan(300);
    const secrets = await walk('admin', '/api/v1/secrets', 3, async (page) => {
      if (page === 1) await call('admin', '/api/v1/secrets/s-0', 'DELETE');
      if (page === 1) await call('admin', '/api/v1/secrets/s-9', 'PUT', { value: 'late' });
    });
    // s-0 was on the first page before it was deleted; s-9, created after it, sorts after the position.
    expect(secrets.items.map((s) => s.name)).toEqual(['s-0', 's-1', 's-2', 's-3', 's-4', 's-5', 's-6', 's-9']);
    for (let i = 0; i < 4; i++) await call('admin', '/api/v1/users', 'POST', { name: `user-${i}`, role: 'viewer' });
    const users = await walk('admin', '/api/v1/users', 2);
    expect(users.items.map((u) => u.name)).toEqual(((await call('admin', '/api/v1/users?limit=1000')).json() as { items: { name: string }[] }).items.map((u) => u.name));
    expect(users.pages).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < 3; i++) await call('admin', '/api/v1/tokens', 'POST', { name: `t-${i}` });
    const tokensListed = await walk('admin', '/api/v1/tokens', 1);
    expect(new Set(tokensListed.items.map((t) => t.id)).size).toBe(tokensListed.items.length);
    expect(tokensListed.items.length).toBeGreaterThanOrEqual(4);
    const audit = await walk('admin', '/api/v1/audit', 5);
    const seqs = audit.items.map((e) => e.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(new Set(seqs).size).toBe(seqs.length);
    // Another workspace's admin sees none of these.
    expect(((await call('payments', '/api/v1/secrets')).json() as { items: unknown[] }).items).toEqual([]);
    expect(((await call('payments', '/api/v1/users')).json() as { items: { name: string }[] }).items.map((u) => u.name)).toEqual(['pat']);
  });
});
