// Workspaces, users, tokens and the audit ledger end to end: a real server, every command run as
// `slipway …` would run it, and the ledger tampered with directly in the database.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '@slipway/server';
import { closeCliSession, isolateCliSettings, slipway, startServerForCli } from '../test-support/cli-session.ts';
import { auditQuery, pointInTime } from './audit.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-identity-cli-'));
let restore: () => void = () => undefined;
let server: RunningServer;

beforeAll(async () => {
  restore = isolateCliSettings(dir);
  server = await startServerForCli(dir, {}, { graceMs: 1_000 });
}, 60_000);

afterAll(async () => {
  await closeCliSession(server, dir, restore);
}, 60_000);

const as = async <T>(token: string, action: () => Promise<T>): Promise<T> => {
  process.env.SLIPWAY_TOKEN = token;
  try {
    return await action();
  } finally {
    delete process.env.SLIPWAY_TOKEN;
  }
};

describe('slipway workspaces, users, tokens and audit against a real server', () => {
  let aliceToken: string;

  it('creates users with roles and approver roles, and lists them', async () => {
    const created = await slipway('users', 'create', 'alice', '--role', 'release-manager', '--approver', 'qa', '--approver', 'security');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^✓ user alice in workspace default: release-manager, approver for qa, security\n {2}give them a token: slipway tokens create <name> --user alice$/);
    expect((await slipway('users', 'create', 'bob')).code).toBe(0);
    const list = await slipway('users', 'list');
    expect(list.stdout).toMatch(/^NAME +ROLE +APPROVER ROLES +CREATED\nadmin +admin +- +\S+\nalice +release-manager +qa, security +\S+\nbob +developer +- +\S+$/);
    const got = await slipway('users', 'get', 'alice', '-o', 'json');
    expect(JSON.parse(got.stdout)).toMatchObject({ name: 'alice', role: 'release-manager', approverRoles: ['qa', 'security'] });
    expect((await slipway('users', 'get', 'nobody')).code).toBe(3);
  });

  it('grants and revokes, refusing what makes no sense', async () => {
    expect((await slipway('users', 'grant', 'bob', '--approver', 'product')).stdout).toBe('✓ bob in workspace default: developer, approver for product');
    expect((await slipway('users', 'revoke', 'bob', '--approver', 'product')).stdout).toBe('✓ bob in workspace default: developer');
    const wrong = await slipway('users', 'revoke', 'bob', '--role', 'admin');
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/bob holds developer in workspace default, not admin/);
    expect((await slipway('users', 'grant', 'bob')).stderr).toMatch(/nothing to grant: give --role <role> and\/or --approver <role>/);
    expect((await slipway('users', 'grant', 'bob', '--approver', 'Admin')).code).toBe(2);
    expect((await slipway('users', 'grant', 'bob', '--role', 'owner')).stderr).toMatch(/Allowed choices are viewer, developer, release-manager, admin/);
  });

  it('prints a new token once on stdout, and it works at once', async () => {
    const created = await slipway('tokens', 'create', 'laptop', '--user', 'alice');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^slw_[\w-]+$/);
    expect(created.stderr).toMatch(/✓ token laptop \([0-9a-f-]{36}\) of alice, acting in workspace default with at most release-manager\n {2}this is the only time it is shown/);
    aliceToken = created.stdout;
    const mine = await as(aliceToken, () => slipway('tokens', 'list'));
    expect(mine.stdout).toMatch(/^ID +NAME +USER +ROLE +CREATED +LAST USED\n[0-9a-f-]{36} +laptop +alice +release-manager +now +now$/);
    const stronger = await as(aliceToken, () => slipway('tokens', 'create', 'root', '--role', 'admin'));
    expect(stronger.code).toBe(4);
    expect(stronger.stderr).toMatch(/a token of alice may do at most release-manager/);
    const forBob = await as(aliceToken, () => slipway('users', 'create', 'mallory'));
    expect(forBob.stderr).toMatch(/this needs the admin role in workspace default; alice acts with release-manager/);
  });

  it('creates a workspace that only its admins can act in', async () => {
    const created = await slipway('workspaces', 'create', 'payments');
    expect(created.stdout).toMatch(/^✓ workspace payments created; you are its admin/);
    expect((await slipway('users', 'grant', 'alice', '--role', 'viewer', '--workspace', 'payments')).stdout).toBe('✓ alice in workspace payments: viewer');
    expect((await slipway('workspaces', 'list')).stdout).toMatch(/^WORKSPACE +YOUR ROLE +APPROVER ROLES +CREATED\ndefault +admin +- +\S+\npayments +admin +- +\S+$/);
    const refused = await as(aliceToken, () => slipway('users', 'list', '--workspace', 'payments'));
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/needs an admin token of a user who is an admin there/);
    process.env.SLIPWAY_WORKSPACE = 'payments';
    try {
      expect((await slipway('secrets', 'set', 'db-password', '--value', 'hunter2')).code).toBe(0);
      expect((await slipway('secrets', 'list')).stdout).toMatch(/db-password/);
    } finally {
      delete process.env.SLIPWAY_WORKSPACE;
    }
    expect((await slipway('secrets', 'list')).stdout).not.toMatch(/db-password/);
  });

  it('lists the audit entries of the workspace, filtered', async () => {
    const list = await slipway('audit', 'list');
    expect(list.code).toBe(0);
    const kinds = list.stdout.split('\n').slice(1).map((line) => line.split(/ {2,}/)[3]);
    expect(kinds).toEqual(['token.create', 'role.revoke', 'role.grant', 'user.create', 'user.create', 'token.create']);
    expect(list.stdout).toMatch(/^SEQ +TIME +ACTOR +KIND +SUBJECT +DETAILS\n/);
    const grants = await slipway('audit', 'list', '--kind', 'role.*', '--actor', 'admin', '-o', 'json');
    expect(JSON.parse(grants.stdout).items.map((e: { details: unknown }) => e.details)).toEqual([{ approverRoles: ['product'] }, { approverRoles: ['product'] }]);
    expect((await slipway('audit', 'list', '--since', 'last tuesday')).code).toBe(2);
    expect((await slipway('audit', 'list', '--limit', '2')).stderr).toMatch(/older entries: add --before \d+/);
    const payments = await slipway('audit', 'list', '--workspace', 'payments');
    expect(payments.stdout).toMatch(/secret\.set +db-password/);
    expect(payments.stdout).not.toMatch(/hunter2/);
    const denied = await as(aliceToken, () => slipway('audit', 'list', '--workspace', 'payments'));
    expect(denied.code).toBe(4);
  });

  it('exports JSON lines to stdout or a file', async () => {
    const out = await slipway('audit', 'export', '--kind', 'user.create');
    expect(out.stdout.split('\n').map((line) => JSON.parse(line).subject)).toEqual(['alice', 'bob']);
    const file = join(dir, 'audit.jsonl');
    const written = await slipway('audit', 'export', '--output', file);
    expect(written.stderr).toMatch(/✓ 6 audit entries written to .*audit\.jsonl/);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((e) => e.seq)).toEqual([...lines.map((e) => e.seq)].sort((a, b) => a - b));
    expect(lines[0]).toMatchObject({ kind: 'token.create', actor: 'slipway', details: { firstStart: true } });
    expect((await slipway('audit', 'export', '--output', join(dir, 'no', 'such', 'folder', 'a.jsonl'))).code).toBe(2);
  });

  it('verifies the ledger, and names the row edited, deleted or inserted in the database (exit 1)', async () => {
    const ok = await slipway('audit', 'verify');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^✓ audit ledger intact: 9 entries checked in \d+ ms\n {2}head: entry 9, hash [0-9a-f]{64}/);

    const db = server.store.db;
    await sql`UPDATE audit_entries SET actor = 'mallory' WHERE seq = 4`.execute(db);
    const edited = await slipway('audit', 'verify');
    expect(edited.code).toBe(1);
    expect(edited.stdout).toBe('✗ audit ledger broken: 1 problem in 9 entries\n  entry 4 edited: entry 4 was edited: its fields no longer match its hash');
    await sql`UPDATE audit_entries SET actor = 'admin' WHERE seq = 4`.execute(db);
    expect((await slipway('audit', 'verify')).code).toBe(0);

    const row = await db.selectFrom('audit_entries').selectAll().where('seq', '=', 6).executeTakeFirstOrThrow();
    await sql`DELETE FROM audit_entries WHERE seq = 6`.execute(db);
    const deleted = await slipway('audit', 'verify', '-o', 'json');
    expect(deleted.code).toBe(1);
    expect(JSON.parse(deleted.stdout).problems).toEqual([{ seq: 6, problem: 'deleted', message: 'entry 6 was deleted: entry 5 is followed at entry 7' }]);
    await db.insertInto('audit_entries').values(row).execute();

    const last = await db.selectFrom('audit_entries').selectAll().orderBy('seq', 'desc').executeTakeFirstOrThrow();
    await db.insertInto('audit_entries').values({ ...last, seq: 10, actor: 'mallory', prev_hash: last.hash }).execute();
    const inserted = await slipway('audit', 'verify');
    expect(inserted.code).toBe(1);
    expect(inserted.stdout).toMatch(/entry 10 edited: entry 10 was edited[\s\S]*entry 10 inserted: entry 10 was inserted outside the ledger: its head ends at entry 9/);
    await sql`DELETE FROM audit_entries WHERE seq = 10`.execute(db);
    expect((await slipway('audit', 'verify')).code).toBe(0);
  });

  it('revokes a token, after which it is refused', async () => {
    const id = JSON.parse((await slipway('tokens', 'list', '--user', 'alice', '-o', 'json')).stdout).items[0].id as string;
    expect((await slipway('tokens', 'revoke', id)).stdout).toBe('✓ token laptop of alice revoked: calls with it are refused from now on');
    const refused = await as(aliceToken, () => slipway('users', 'list'));
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/the API token is not valid or was revoked/);
    expect((await slipway('users', 'revoke', 'bob', '--role', 'developer')).stdout).toBe('✓ bob removed from workspace default; their tokens there are revoked');
    expect((await slipway('users', 'get', 'bob')).stderr).toMatch(/bob is not a member of workspace default/);
  });
});

describe('audit time filters', () => {
  it('read ISO times and durations ago', () => {
    const now = new Date('2025-06-01T12:00:00Z');
    expect(pointInTime('24h', now)).toBe('2025-05-31T12:00:00.000Z');
    expect(pointInTime('2025-01-31', now)).toBe('2025-01-31T00:00:00.000Z');
    expect(pointInTime('soon', now)).toBeUndefined();
    expect(auditQuery({ since: '7d', kind: 'release.*' }, now).query?.toString()).toBe('kind=release.*&since=2025-05-25T12%3A00%3A00.000Z');
  });
});
