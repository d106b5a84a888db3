// Workspaces, users, roles and tokens through the API, on each store: who may do what, what a token
// may become, how a request names another workspace, and the audit entry every change leaves.
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { buildApi } from '../http/build-api.ts';
import { hasApproverRole, requireApproverRole, type Principal } from '../http/authorize.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { createApiToken } from '../store/api-tokens.ts';
import { listAudit, verifyAudit } from '../store/audit-ledger.ts';
import { migrationsFor } from '../store/migrations.ts';
import { openDatabase, type StoreDatabase } from '../store/open-database.ts';
import { SecretStore } from '../store/secrets.ts';
import { testDatabases } from '../test-support/test-databases.ts';

const manifest = `apiVersion: slipway.dev/v1
kind: Application
metadata: { name: shop }
spec:
  services:
    - name: web
      image: nginx
      ports: [{ port: 80 }]
`;

for (const database of testDatabases()) {
  describe.skipIf(database.skip !== undefined)(`workspaces, users, roles and tokens on ${database.name}${database.skip ? ` (skipped: ${database.skip})` : ''}`, () => {
    let store: StoreDatabase;
    let dispose: () => Promise<void>;
    let api: FastifyInstance;
    let admin: string;

    beforeEach(async () => {
      const created = await database.create();
      dispose = created.dispose;
      store = await openDatabase(created.location);
      api = await buildApi({ db: store.db, secrets: new SecretStore(store.db, new SecretBox(randomBytes(32))) });
      admin = (await createApiToken(store.db, { name: 'first start', workspace: 'default', role: 'admin' })).secret;
    });
    afterEach(async () => {
      await api.close();
      await store.close();
      await dispose();
    });

    const call = async (token: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
      const res = await api.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test answers are read loosely
      return { status: res.statusCode, body: (res.body ? res.json() : undefined) as any };
    };
    const tokenFor = async (user: string, role?: string) => {
      const res = await call(admin, 'POST', '/api/v1/tokens', { name: `${user}'s laptop`, user, ...(role ? { role } : {}) });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.secret as string;
    };

    it('creates users with roles and approver roles, and lists and shows them to any member', async () => {
      const created = await call(admin, 'POST', '/api/v1/users', { name: 'alice', role: 'release-manager', approverRoles: ['security', 'qa', 'qa'] });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: 'alice', workspace: 'default', role: 'release-manager', approverRoles: ['qa', 'security'] });
      expect((await call(admin, 'POST', '/api/v1/users', { name: 'bob' })).body).toMatchObject({ role: 'developer', approverRoles: [] });
      expect((await call(admin, 'POST', '/api/v1/users', { name: 'alice' })).status).toBe(409);
      expect((await call(admin, 'POST', '/api/v1/users', { name: 'carol', approverRoles: ['admin'] })).body.error.diagnostics[0].message).toMatch(/cannot be named like a built-in role/);
      const bob = await tokenFor('bob');
      const list = await call(bob, 'GET', '/api/v1/users');
      expect(list.body.items.map((u: { name: string; role: string }) => `${u.name}:${u.role}`)).toEqual(['admin:admin', 'alice:release-manager', 'bob:developer']);
      expect((await call(bob, 'GET', '/api/v1/users/alice')).body.approverRoles).toEqual(['qa', 'security']);
      expect((await call(bob, 'GET', '/api/v1/users/alcie')).body.error.message).toBe('no user alcie (did you mean "alice"?); create one with slipway users create alcie');
      expect((await call(bob, 'POST', '/api/v1/users', { name: 'dave' })).status).toBe(403);
    });

    it('grants and revokes roles; a demotion binds existing tokens at once; the last admin stays', async () => {
      await call(admin, 'POST', '/api/v1/users', { name: 'alice', role: 'developer' });
      const alice = await tokenFor('alice');
      expect((await call(alice, 'GET', '/api/v1/audit')).status).toBe(403);
      const granted = await call(admin, 'POST', '/api/v1/users/alice/grant', { role: 'release-manager', approverRoles: ['qa'] });
      expect(granted.body).toMatchObject({ role: 'release-manager', approverRoles: ['qa'] });
      // The token was made while alice was a developer: it may do at most that.
      expect((await call(alice, 'GET', '/api/v1/audit')).status).toBe(403);
      const stronger = await call(alice, 'POST', '/api/v1/tokens', { name: 'new' });
      expect(stronger.body.token.role).toBe('developer');
      const aliceRm = await tokenFor('alice');
      expect((await call(aliceRm, 'GET', '/api/v1/audit')).status).toBe(200);
      await call(admin, 'POST', '/api/v1/users/alice/grant', { role: 'viewer' });
      expect((await call(aliceRm, 'GET', '/api/v1/audit')).status).toBe(403);
      expect((await call(aliceRm, 'POST', '/api/v1/users/alice/revoke', { approverRoles: ['qa'] })).status).toBe(403);

      expect((await call(admin, 'POST', '/api/v1/users/alice/revoke', { approverRoles: ['security'] })).body.error.message).toBe('alice does not hold security in workspace default; they hold qa');
      expect((await call(admin, 'POST', '/api/v1/users/alice/revoke', { role: 'developer' })).body.error.message).toMatch(/alice holds viewer in workspace default, not developer/);
      expect((await call(admin, 'POST', '/api/v1/users/alice/revoke', { approverRoles: ['qa'] })).body).toMatchObject({ removed: false, user: { approverRoles: [] } });
      expect((await call(admin, 'POST', '/api/v1/users/alice/revoke', { role: 'viewer' })).body).toEqual({ name: 'alice', workspace: 'default', removed: true });
      // Removed from the workspace, alice's tokens there are revoked: adding her back brings none back.
      expect((await call(aliceRm, 'GET', '/api/v1/environments')).status).toBe(401);
      expect((await listAudit(store.db, { workspace: 'default', kinds: ['role.revoke'] })).items[0]!.details).toMatchObject({ removedFromWorkspace: true, tokensRevoked: 3 });
      expect((await call(admin, 'POST', '/api/v1/users/alice/grant', { approverRoles: ['qa'] })).body.error.message).toMatch(/alice is not a member of workspace default: give them a role too/);

      expect((await call(admin, 'POST', '/api/v1/users/admin/grant', { role: 'developer' })).body.error.message).toBe('admin is the last admin of workspace default; make another member admin first');
      expect((await call(admin, 'POST', '/api/v1/users/admin/revoke', { role: 'admin' })).status).toBe(409);

      const kinds = (await listAudit(store.db, { workspace: 'default' })).items.map((e) => `${e.kind} ${e.subject}`);
      expect(kinds).toEqual(expect.arrayContaining(['user.create alice', 'role.grant alice', 'role.revoke alice']));
      expect((await listAudit(store.db, { workspace: 'default', kinds: ['role.*'] })).items.map((e) => e.kind)).toEqual(['role.revoke', 'role.revoke', 'role.grant', 'role.grant']);
    });

    it('refuses a token whose user is no longer a member where it acts', async () => {
      await call(admin, 'POST', '/api/v1/users', { name: 'erin', role: 'developer' });
      const erin = await tokenFor('erin');
      await sql`DELETE FROM memberships WHERE user_id = (SELECT id FROM users WHERE name = 'erin')`.execute(store.db);
      const refused = await call(erin, 'GET', '/api/v1/environments');
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toBe('erin holds no role in workspace default any more; an admin there can grant one (slipway users grant erin --role <role>)');
    });

    it('makes tokens no stronger than their user or the token asking, shows the secret once and stores only its hash', async () => {
      await call(admin, 'POST', '/api/v1/users', { name: 'bob', role: 'developer' });
      await call(admin, 'POST', '/api/v1/users', { name: 'vic', role: 'viewer' });
      const bob = await tokenFor('bob');
      const vic = await tokenFor('vic');
      expect((await call(bob, 'POST', '/api/v1/tokens', { name: 'ci', role: 'admin' })).body.error.message).toBe('a token of bob may do at most developer in workspace default; ask for that or less than admin');
      expect((await call(bob, 'POST', '/api/v1/tokens', { name: 'ci', user: 'vic' })).status).toBe(403);
      expect((await call(vic, 'POST', '/api/v1/tokens', { name: 'mine' })).status).toBe(403);
      const adminViewer = await call(admin, 'POST', '/api/v1/tokens', { name: 'read-only', role: 'viewer' });
      expect(adminViewer.body.token).toMatchObject({ user: 'admin', role: 'viewer', workspace: 'default' });
      expect((await call(adminViewer.body.secret, 'POST', '/api/v1/tokens', { name: 'escalate' })).status).toBe(403);
      const ci = await call(bob, 'POST', '/api/v1/tokens', { name: 'ci', role: 'viewer' });
      expect(ci.status).toBe(201);
      expect(ci.body.secret).toMatch(/^slw_/);
      const raw = JSON.stringify(await store.db.selectFrom('api_tokens').selectAll().execute());
      expect(raw).not.toContain(ci.body.secret);
      expect(raw).toContain(createHash('sha256').update(ci.body.secret).digest('hex'));
      expect(JSON.stringify(await store.db.selectFrom('audit_entries').selectAll().execute())).not.toContain(ci.body.secret);

      // Own tokens for members, everyone's for admins.
      expect((await call(bob, 'GET', '/api/v1/tokens')).body.items.map((t: { name: string }) => t.name).sort()).toEqual(['bob\'s laptop', 'ci']);
      expect((await call(bob, 'GET', '/api/v1/tokens?user=vic')).status).toBe(403);
      expect((await call(admin, 'GET', '/api/v1/tokens')).body.items).toHaveLength(5);
      expect((await call(admin, 'GET', '/api/v1/tokens?user=vic')).body.items.map((t: { user: string }) => t.user)).toEqual(['vic']);
      const vicToken = (await call(admin, 'GET', '/api/v1/tokens?user=vic')).body.items[0].id as string;
      expect((await call(bob, 'DELETE', `/api/v1/tokens/${vicToken}`)).status).toBe(403);
      const revoked = await call(bob, 'DELETE', `/api/v1/tokens/${ci.body.token.id}`);
      expect(revoked.body).toMatchObject({ name: 'ci', revokedAt: expect.any(String) });
      expect((await call(ci.body.secret, 'GET', '/api/v1/users')).status).toBe(401);
      expect((await call(bob, 'DELETE', `/api/v1/tokens/${ci.body.token.id}`)).status).toBe(409);
      expect((await call(admin, 'DELETE', `/api/v1/tokens/${vicToken}`)).status).toBe(200);
      expect((await call(vic, 'GET', '/api/v1/users')).status).toBe(401);
      expect((await call(admin, 'GET', '/api/v1/tokens?revoked=true')).body.items).toHaveLength(5);

      const entries = (await listAudit(store.db, { workspace: 'default', kinds: ['token.*'] })).items;
      expect(entries.map((e) => `${e.actor} ${e.kind}`)).toEqual(['admin token.revoke', 'bob token.revoke', 'bob token.create', 'admin token.create', 'admin token.create', 'admin token.create']);
      expect(entries[2]!.details).toEqual({ name: 'ci', user: 'bob', role: 'viewer' });
      expect((await call(admin, 'GET', '/api/v1/tokens')).body.items.find((t: { user: string }) => t.user === 'bob').lastUsedAt).toEqual(expect.any(String));
    });

    it('acts in another workspace only for an admin there, named with ?workspace=', async () => {
      const created = await call(admin, 'POST', '/api/v1/workspaces', { name: 'payments' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: 'payments', role: 'admin' });
      expect((await call(admin, 'POST', '/api/v1/workspaces', { name: 'payments' })).status).toBe(409);
      expect((await call(admin, 'GET', '/api/v1/workspaces')).body.items.map((w: { name: string; role: string }) => `${w.name}:${w.role}`)).toEqual(['default:admin', 'payments:admin']);

      await call(admin, 'POST', '/api/v1/users', { name: 'dev', role: 'developer' });
      const dev = await tokenFor('dev');
      // An admin of payments puts a user there, with a token acting there, and a secret.
      expect((await call(admin, 'POST', '/api/v1/users/dev/grant?workspace=payments', { role: 'admin' })).body).toMatchObject({ workspace: 'payments', role: 'admin' });
      await call(admin, 'POST', '/api/v1/users?workspace=payments', { name: 'sre', role: 'admin', approverRoles: ['sre'] });
      const sre = (await call(admin, 'POST', '/api/v1/tokens?workspace=payments', { name: 'sre laptop', user: 'sre' })).body;
      expect(sre.token.workspace).toBe('payments');
      expect((await call(sre.secret, 'PUT', '/api/v1/secrets/db-password', { value: 'hunter2' })).status).toBe(204);
      expect((await call(sre.secret, 'GET', '/api/v1/secrets')).body.items).toEqual([{ name: 'db-password' }]);
      expect((await call(admin, 'GET', '/api/v1/secrets')).body.items).toEqual([]);
      expect((await call(admin, 'GET', '/api/v1/secrets?workspace=payments')).body.items).toEqual([{ name: 'db-password' }]);

      // dev is an admin of payments, but its token acts in default with developer at most.
      const refused = await call(dev, 'GET', '/api/v1/secrets?workspace=payments');
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toMatch(/acting in workspace payments \(\?workspace=\) needs an admin token of a user who is an admin there/);
      expect((await call(sre.secret, 'GET', '/api/v1/secrets?workspace=default')).status).toBe(403);
      expect((await call(admin, 'GET', '/api/v1/secrets?workspace=nowhere')).status).toBe(403);

      const [entry] = (await listAudit(store.db, { workspace: 'payments', kinds: ['secret.set'] })).items;
      expect(entry).toMatchObject({ actor: 'sre', subject: 'db-password', details: {} });
      expect(JSON.stringify(await store.db.selectFrom('audit_entries').selectAll().execute())).not.toContain('hunter2');
      expect((await listAudit(store.db, { workspace: 'payments', kinds: ['workspace.create'] })).items[0]).toMatchObject({ actor: 'admin', subject: 'payments' });
    });

    it('records configuration and secret changes with their actor, chained', async () => {
      expect((await call(admin, 'POST', '/api/v1/applications', { manifest })).status).toBe(201);
      expect((await call(admin, 'POST', '/api/v1/applications', { manifest })).status).toBe(200);
      await call(admin, 'POST', '/api/v1/applications', { manifest: manifest.replace('image: nginx', 'image: nginx:2') });
      await call(admin, 'PUT', '/api/v1/secrets/api-key', { value: 'v1' });
      await call(admin, 'DELETE', '/api/v1/secrets/api-key');
      const items = (await call(admin, 'GET', '/api/v1/audit')).body.items as { kind: string; subject: string; actor: string; details: Record<string, unknown> }[];
      expect(items.map((e) => `${e.actor} ${e.kind} ${e.subject}`)).toEqual(['admin secret.delete api-key', 'admin secret.set api-key', 'admin application.register shop', 'admin application.register shop']);
      expect(items[3]!.details).toMatchObject({ created: true, version: expect.any(String) });
      const verify = await call(admin, 'GET', '/api/v1/audit/verify');
      expect(verify.body).toMatchObject({ ok: true, entries: 4, headSeq: 4, problems: [] });
      await sql`UPDATE audit_entries SET subject = 'other-key' WHERE seq = 3`.execute(store.db);
      expect((await call(admin, 'GET', '/api/v1/audit/verify')).body).toMatchObject({ ok: false, problems: [{ seq: 3, problem: 'edited' }] });
      const exported = await api.inject({ method: 'GET', url: '/api/v1/audit/export?kind=secret.*', headers: { authorization: `Bearer ${admin}` } });
      expect(exported.headers['content-type']).toMatch(/application\/x-ndjson/);
      expect(exported.body.trimEnd().split('\n').map((line) => JSON.parse(line).seq)).toEqual([3, 4]);
      expect((await call(admin, 'GET', '/api/v1/audit?since=yesterday')).body.error.diagnostics[0]).toMatchObject({ path: 'since' });
    });
  });
}

describe('tokens made before users existed', () => {
  it('keep working after the migration, as the admin user’s, each at its own role', async () => {
    const database = testDatabases()[0]!;
    const { location, dispose } = await database.create();
    const path = (location as { sqlitePath: string }).sqlitePath;
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new BetterSqlite3(path) }) });
    const earlier = Object.fromEntries(Object.entries(migrationsFor('sqlite')).filter(([name]) => name < '0005'));
    await new Migrator({ db: old, provider: { getMigrations: async () => earlier } }).migrateToLatest();
    const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');
    await sql`INSERT INTO api_tokens (id, name, token_hash, workspace, role, created_at) VALUES
      ('t1', 'admin (created on first start)', ${hash('slw_admin')}, 'default', 'admin', '2025-01-01T00:00:00Z'),
      ('t2', 'dashboard', ${hash('slw_viewer')}, 'team-b', 'viewer', '2025-01-01T00:00:00Z')`.execute(old);
    await old.destroy();

    const store = await openDatabase(location);
    const api = await buildApi({ db: store.db });
    try {
      const as = (secret: string, url: string) => api.inject({ method: 'GET', url, headers: { authorization: `Bearer ${secret}` } });
      expect((await as('slw_admin', '/api/v1/users')).json().items).toEqual([expect.objectContaining({ name: 'admin', role: 'admin' })]);
      expect((await as('slw_viewer', '/api/v1/applications')).statusCode).toBe(200);
      expect((await as('slw_viewer', '/api/v1/audit')).statusCode).toBe(403);
      expect((await as('slw_admin', '/api/v1/workspaces')).json().items.map((w: { name: string }) => w.name)).toEqual(['default', 'team-b']);
      expect((await verifyAudit(store.db)).ok).toBe(true);
    } finally {
      await api.close();
      await store.close();
      await dispose();
    }
  });
});

describe('approver roles', () => {
  const principal = (role: Principal['role'], approverRoles: string[]): Principal => ({ name: 'alice', userId: 'u1', token: { id: 't1', name: 'laptop' }, workspace: 'default', role, approverRoles });
  const request = (p: Principal) => ({ principal: p }) as unknown as Parameters<typeof requireApproverRole>[0];

  it('are held as granted, and a built-in name is held by that role and those above it', () => {
    expect(hasApproverRole(principal('developer', ['qa']), 'qa')).toBe(true);
    expect(hasApproverRole(principal('admin', ['qa']), 'security')).toBe(false);
    expect(hasApproverRole(principal('release-manager', []), 'release-manager')).toBe(true);
    expect(hasApproverRole(principal('admin', []), 'release-manager')).toBe(true);
    expect(hasApproverRole(principal('developer', []), 'release-manager')).toBe(false);
    expect(requireApproverRole(request(principal('developer', ['qa', 'sre'])), ['security', 'sre', 'qa'])).toEqual(['sre', 'qa']);
    expect(() => requireApproverRole(request(principal('developer', ['qa'])), ['security', 'product'])).toThrow(
      'this needs the approver role security or product in workspace default; alice holds qa there',
    );
  });
});
