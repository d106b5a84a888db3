// Protected environments, tried the way a developer would walk around a release track: every direct
// change of an environment the track governs — create, deploy, config-set, extend, delete, exec, a
// secret it reads — is refused for every role and leaves no trace but the refusal; an admin may
// break glass with a reason, which the ledger records as such; and a ledger that cannot take an
// entry rolls the change back with 503 audit_unavailable.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretStore } from '../store/secrets.ts';
import { commitAll } from '../test-support/example-repository.ts';
import { setUpSeedReleaseTrack, until, type SeedReleaseTrack } from '../test-support/seed-release-track.ts';

let seed: SeedReleaseTrack;
const reason = encodeURIComponent('restore production after incident 42');

beforeAll(async () => {
  seed = await setUpSeedReleaseTrack('protected');
  // shop reads a workspace secret, so that changing it would change production at its next deploy.
  const manifest = join(seed.repositories.shop, '.slipway/app.yaml');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('      ports: [{ port: 3000 }]\n', '      ports: [{ port: 3000 }]\n      env: { DB_PASSWORD: { secret: shop-db } }\n'));
  commitAll(seed.repositories.shop, 'shop reads its database password');
  await seed.ok('admin', 'POST', '/api/v1/applications', { repository: seed.repositories.shop });
  await seed.ok('admin', 'PUT', '/api/v1/secrets/shop-db', { value: 'first-password' });
}, 120_000);

afterAll(() => seed?.close());

function secretValue(workspace: string, name: string): Promise<string | undefined> {
  return new SecretStore(seed.server.store.db, seed.server.secretBox).reveal(workspace, name);
}

async function ledger(): Promise<{ kind: string; subject: string; actor: string; details: Record<string, unknown> }[]> {
  return (await seed.ok('admin', 'GET', '/api/v1/audit?limit=500')).items;
}

describe('an environment a release track governs', () => {
  it('cannot be created directly, by any role; an admin may break glass, recorded as such', async () => {
    const before = (await ledger()).length;
    for (const who of ['dev', 'rita', 'admin']) {
      const refused = await seed.api(who, 'POST', '/api/v1/environments', { app: 'shop', kind: 'permanent', id: 'shop-production', branch: 'main' });
      expect(refused.status, who).toBe(403);
      expect(refused.json.error.message).toMatch(/^environment shop-production is protected and cannot be created directly: release track shop-track deploys to it \(stage production, release lane\)/);
      expect(refused.json.error.message).toContain('slipway releases create <snapshot>');
      expect(refused.json.error.message).toContain('--break-glass');
    }
    // Breaking glass is an admin's, and needs a reason.
    const byDeveloper = await seed.api('dev', 'POST', `/api/v1/environments?breakGlass=${reason}`, { app: 'shop', kind: 'permanent', id: 'shop-production', branch: 'main' });
    expect(byDeveloper.status).toBe(403);
    expect(byDeveloper.json.error.message).toMatch(/needs the admin role/);
    const noReason = await seed.api('admin', 'POST', '/api/v1/environments?breakGlass=%20', { app: 'shop', kind: 'permanent', id: 'shop-production', branch: 'main' });
    expect(noReason.status).toBe(400);
    expect(noReason.json.error.message).toMatch(/needs a reason/);
    expect(await seed.server.environments.getLive('default', 'shop-production')).toBeUndefined();
    expect((await ledger()).length).toBe(before);

    const created = await seed.ok('admin', 'POST', `/api/v1/environments?breakGlass=${reason}`, { app: 'shop', kind: 'permanent', id: 'shop-production', branch: 'main' });
    expect(created.environment.id).toBe('shop-production');
    const [entry] = await ledger();
    expect(entry).toMatchObject({ kind: 'environment.break-glass', subject: 'shop-production', actor: 'admin', details: { action: 'create', reason: 'restore production after incident 42', app: 'shop' } });
    await until('shop-production to run', async () => ((await seed.ok('viewer', 'GET', '/api/v1/environments/shop-production')).status === 'ready' ? true : undefined), 60_000);
  }, 90_000);

  it('refuses deploy, config-set, extend, exec and delete for every role, and records nothing', async () => {
    const before = (await ledger()).length;
    const deploysBefore = (await seed.ok('viewer', 'GET', '/api/v1/environments/shop-production/deploys')).items.length;
    const instance = (await seed.ok('viewer', 'GET', '/api/v1/environments/shop-production/instances')).items[0].name;
    const attempts: [string, string, unknown, RegExp][] = [
      ['POST', '/api/v1/environments/shop-production/deploys', {}, /cannot be deployed to directly.*slipway deploys create shop-production --break-glass/],
      ['PUT', '/api/v1/environments/shop-production/config', { variables: { LOG_LEVEL: 'debug' } }, /cannot have its variables changed directly/],
      ['POST', '/api/v1/environments/shop-production/extend', { ttl: '24h' }, /cannot be extended directly/],
      ['POST', `/api/v1/environments/shop-production/instances/${instance}/exec`, { command: ['true'] }, /cannot have commands run in it directly/],
      ['DELETE', '/api/v1/environments/shop-production', undefined, /cannot be deleted directly.*slipway envs delete shop-production --break-glass/],
    ];
    for (const [method, path, body, message] of attempts) {
      for (const who of ['dev', 'rita', 'admin']) {
        const refused = await seed.api(who, method, path, body);
        expect(refused.status, `${who} ${method} ${path}`).toBe(403);
        expect(refused.json.error.message).toMatch(message);
        expect(refused.json.error.message).toContain('release track shop-track');
      }
    }
    expect((await ledger()).length).toBe(before);
    expect((await seed.ok('viewer', 'GET', '/api/v1/environments/shop-production/deploys')).items.length).toBe(deploysBefore);
    expect((await seed.ok('viewer', 'GET', '/api/v1/environments/shop-production/config')).variables).toEqual({});
    expect((await seed.ok('viewer', 'GET', '/api/v1/environments/shop-production')).status).toBe('ready');
  });

  it('says in its answers who protects it and how it changes, as the refusal does', async () => {
    const refused = await seed.api('dev', 'DELETE', '/api/v1/environments/shop-production');
    const one = await seed.ok('viewer', 'GET', '/api/v1/environments/shop-production');
    expect(one.protectedBy).toMatchObject({ kind: 'track', name: 'shop-track', stage: 'production', lane: 'release' });
    expect(one.protectedBy.change).toMatch(/^To change it, release a snapshot along the track: slipway snapshots create <set>/);
    expect(refused.json.error.message).toContain(one.protectedBy.change);
    const listed = (await seed.ok('viewer', 'GET', '/api/v1/environments')).items.find((e: { id: string }) => e.id === 'shop-production');
    expect(listed.protectedBy).toEqual(one.protectedBy);
    // An environment no stage names is not protected.
    const other = await seed.ok('dev', 'POST', '/api/v1/environments', { app: 'shop', kind: 'permanent', id: 'shop-demo', branch: 'main' });
    expect(other.environment.protectedBy).toBeUndefined();
    await seed.ok('dev', 'DELETE', '/api/v1/environments/shop-demo');
  });

  it('keeps a secret it reads from direct change; an admin breaking glass may set it', async () => {
    for (const who of ['dev', 'admin']) {
      const refused = await seed.api(who, 'PUT', '/api/v1/secrets/shop-db', { value: 'second-password' });
      expect(refused.status, who).toBe(403);
      expect(refused.json.error.message).toMatch(/^secret shop-db is read by protected environment shop-production \(release track shop-track\)/);
      expect(refused.json.error.message).toContain('set a new secret (such as shop-db-2)');
      expect((await seed.api(who, 'DELETE', '/api/v1/secrets/shop-db')).status).toBe(403);
    }
    expect(await secretValue('default', 'shop-db')).toBe('first-password');
    // A secret no protected environment reads stays the developers'.
    expect((await seed.api('dev', 'PUT', '/api/v1/secrets/other', { value: 'x' })).status).toBe(204);
    expect((await seed.api('admin', 'PUT', `/api/v1/secrets/shop-db?breakGlass=${reason}`, { value: 'second-password' })).status).toBe(204);
    expect(await secretValue('default', 'shop-db')).toBe('second-password');
    expect((await ledger())[0]).toMatchObject({ kind: 'secret.break-glass', subject: 'shop-db', actor: 'admin', details: { action: 'set', reason: 'restore production after incident 42' } });
    expect(JSON.stringify(await ledger())).not.toContain('second-password');
  });

  it('lets an admin break glass to delete it, with a distinct entry', async () => {
    const deleted = await seed.ok('admin', 'DELETE', `/api/v1/environments/shop-production?breakGlass=${reason}`);
    expect(deleted.environment.status).toBe('deleting');
    expect((await ledger())[0]).toMatchObject({ kind: 'environment.break-glass', subject: 'shop-production', details: { action: 'delete', reason: 'restore production after incident 42' } });
    await until('shop-production to be gone', async () => ((await seed.server.environments.getLive('default', 'shop-production')) ? undefined : true), 60_000);
  }, 90_000);
});

describe('an environment an admin marked protected', () => {
  it('is refused for every role once marked, keeps its mark across a delete, and changes again once the mark is lifted', async () => {
    const created = await seed.ok('dev', 'POST', '/api/v1/environments', { app: 'ledger', kind: 'permanent', id: 'demo', branch: 'main' });
    await until('demo to be ready', async () => ((await seed.server.environments.getLive('default', 'demo'))?.status === 'ready' ? true : undefined), 60_000);
    expect(created.environment.id).toBe('demo');
    // Only admins mark, and with a reason.
    expect((await seed.api('rita', 'PUT', '/api/v1/environments/demo/protection', { reason: 'customer demo' })).status).toBe(403);
    expect((await seed.api('admin', 'PUT', '/api/v1/environments/demo/protection', { reason: ' ' })).status).toBe(400);
    expect((await seed.api('admin', 'PUT', '/api/v1/environments/nope/protection', { reason: 'customer demo' })).status).toBe(404);
    const marked = await seed.ok('admin', 'PUT', '/api/v1/environments/demo/protection', { reason: 'customer demo until Friday' });
    expect(marked).toMatchObject({ envId: 'demo', by: 'admin', reason: 'customer demo until Friday' });
    expect((await ledger())[0]).toMatchObject({ kind: 'environment.protect', subject: 'demo', actor: 'admin', details: { reason: 'customer demo until Friday' } });

    const before = (await ledger()).length;
    for (const who of ['dev', 'rita', 'admin']) {
      const deploy = await seed.api(who, 'POST', '/api/v1/environments/demo/deploys', {});
      expect(deploy.status, who).toBe(403);
      expect(deploy.json.error.message).toBe(
        'environment demo is protected and cannot be deployed to directly: admin marked it protected (customer demo until Friday). To change it, have an admin lift the mark: slipway envs unprotect demo. In an emergency an admin may break glass: slipway deploys create demo --break-glass "<reason>" (recorded in the audit ledger)',
      );
      expect((await seed.api(who, 'DELETE', '/api/v1/environments/demo')).status, who).toBe(403);
    }
    expect((await ledger()).length).toBe(before);

    // Deleted by break-glass and created again: the id is still protected.
    await seed.ok('admin', 'DELETE', `/api/v1/environments/demo?breakGlass=${reason}`);
    await until('demo to be gone', async () => ((await seed.server.environments.getLive('default', 'demo')) ? undefined : true), 60_000);
    expect((await seed.api('dev', 'POST', '/api/v1/environments', { app: 'ledger', kind: 'permanent', id: 'demo', branch: 'main' })).status).toBe(403);

    const lifted = await seed.ok('admin', 'DELETE', '/api/v1/environments/demo/protection');
    expect(lifted).toMatchObject({ envId: 'demo', reason: 'customer demo until Friday' });
    expect(lifted.governedBy).toBeUndefined();
    expect((await ledger())[0]).toMatchObject({ kind: 'environment.unprotect', subject: 'demo', actor: 'admin' });
    expect((await seed.api('admin', 'DELETE', '/api/v1/environments/demo/protection')).status).toBe(404);
    await seed.ok('dev', 'POST', '/api/v1/environments', { app: 'ledger', kind: 'permanent', id: 'demo', branch: 'main' });
    await until('demo to be ready again', async () => ((await seed.server.environments.getLive('default', 'demo'))?.status === 'ready' ? true : undefined), 60_000);
    await seed.ok('dev', 'DELETE', '/api/v1/environments/demo');
  }, 180_000);

  it("says, when the mark is lifted from an environment a track names, that the track still protects it", async () => {
    await seed.ok('admin', 'POST', `/api/v1/environments?breakGlass=${reason}`, { app: 'shop', kind: 'permanent', id: 'shop-staging', branch: 'main' });
    await seed.ok('admin', 'PUT', '/api/v1/environments/shop-staging/protection', { reason: 'belt and braces' });
    const lifted = await seed.ok('admin', 'DELETE', '/api/v1/environments/shop-staging/protection');
    expect(lifted.governedBy).toBe('release track shop-track');
    expect((await seed.api('dev', 'POST', '/api/v1/environments/shop-staging/deploys', {})).status).toBe(403);
    await until('shop-staging to settle', async () => ((await seed.server.environments.getLive('default', 'shop-staging'))?.status === 'ready' ? true : undefined), 60_000);
    await seed.ok('admin', 'DELETE', `/api/v1/environments/shop-staging?breakGlass=${reason}`);
  }, 120_000);
});

describe('a blocked audit ledger', () => {
  it('rolls back secret set and environment create with 503 audit_unavailable, and says why', async () => {
    const db = seed.server.store.db;
    const head = await db.selectFrom('audit_head').select('last_seq').executeTakeFirstOrThrow();
    const next = Number(head.last_seq) + 1;
    // A row put in behind the ledger's back, where its next entry would go.
    await sql`INSERT INTO audit_entries (seq, at, workspace, actor, kind, subject, details_json, prev_hash, hash) VALUES (${next}, ${new Date().toISOString()}, 'default', 'mallory', 'secret.set', 'x', '{}', 'x', 'x')`.execute(db);
    try {
      const secret = await seed.api('dev', 'PUT', '/api/v1/secrets/blocked-secret', { value: 'never-stored' });
      expect(secret.status).toBe(503);
      expect(secret.json.error).toMatchObject({ code: 'audit_unavailable' });
      expect(secret.json.error.message).toMatch(/the change was not made: the audit ledger cannot record it \(audit ledger: entry \d+ exists/);
      expect(await secretValue('default', 'blocked-secret')).toBeUndefined();

      const env = await seed.api('dev', 'POST', '/api/v1/environments', { app: 'ledger', branch: 'main', id: 'blocked-env' });
      expect(env.status).toBe(503);
      expect(env.json.error.code).toBe('audit_unavailable');
      expect(await seed.server.environments.getLive('default', 'blocked-env')).toBeUndefined();
      expect(await db.selectFrom('environments').select('id').where('env_id', '=', 'blocked-env').execute()).toEqual([]);
    } finally {
      await sql`DELETE FROM audit_entries WHERE seq = ${next}`.execute(db);
    }
    expect((await seed.api('dev', 'PUT', '/api/v1/secrets/blocked-secret', { value: 'now-stored' })).status).toBe(204);
    expect((await seed.ok('admin', 'GET', '/api/v1/audit/verify')).ok).toBe(true);
  });
});
