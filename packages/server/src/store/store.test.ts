import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { ApplicationManifest } from '@slipway/contract';
import { testDatabases } from '../test-support/test-databases.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { createApiToken, findApiToken, revokeApiToken } from './api-tokens.ts';
import { getApplication, getTemplateVersion, listApplications, listTemplateVersions, putApplication } from './applications.ts';
import { openDatabase, type StoreDatabase } from './open-database.ts';
import { SecretStore } from './secrets.ts';

const manifest = (image: string): ApplicationManifest =>
  ({
    apiVersion: 'slipway.dev/v1',
    kind: 'Application',
    metadata: { name: 'shop' },
    spec: { services: [{ name: 'web', image, ports: [{ port: 80, protocol: 'http' }] }], repository: { trackingBranch: 'main' } },
  }) as unknown as ApplicationManifest;

for (const database of testDatabases()) {
  describe.skipIf(database.skip !== undefined)(`store on ${database.name}${database.skip ? ` (skipped: ${database.skip})` : ''}`, () => {
    let store: StoreDatabase;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      const created = await database.create();
      dispose = created.dispose;
      store = await openDatabase(created.location);
    });
    afterEach(async () => {
      await store.close();
      await dispose();
    });

    it('migrates a new database, and again without change', async () => {
      expect(store.dialect).toBe(database.name);
      expect(await listApplications(store.db, 'default')).toEqual([]);
    });

    it('stores only the hash of an API token and finds it by its secret until revoked', async () => {
      const { token, secret } = await createApiToken(store.db, { name: 'admin', workspace: 'default', role: 'admin' });
      const raw = await store.db.selectFrom('api_tokens').selectAll().execute();
      expect(JSON.stringify(raw)).not.toContain(secret);
      expect(await findApiToken(store.db, secret)).toEqual(token);
      expect(await findApiToken(store.db, `${secret}x`)).toBeUndefined();
      expect(await revokeApiToken(store.db, token.id)).toBe(true);
      expect(await findApiToken(store.db, secret)).toBeUndefined();
    });

    it('keeps immutable, content-addressed template versions of an application', async () => {
      const first = await putApplication(store.db, { workspace: 'default', manifest: manifest('nginx:1'), source: 'api' });
      expect(first.created).toBe(true);
      const again = await putApplication(store.db, { workspace: 'default', manifest: manifest('nginx:1'), source: 'api' });
      expect(again).toMatchObject({ created: false, version: first.version });
      const second = await putApplication(store.db, { workspace: 'default', manifest: manifest('nginx:2'), source: 'abc123' });
      expect(second.version).not.toBe(first.version);
      expect((await listTemplateVersions(store.db, first.application.id)).map((v) => v.version)).toEqual([first.version, second.version]);
      expect((await getTemplateVersion(store.db, first.application.id, first.version))?.spec.services[0]?.image).toBe('nginx:1');
      expect(await getApplication(store.db, 'default', 'shop')).toMatchObject({ currentVersion: second.version, trackingBranch: 'main' });
      expect(await getApplication(store.db, 'other', 'shop')).toBeUndefined();
    });

    it('encrypts secrets at rest and opens them only with the right key and identity', async () => {
      const secrets = new SecretStore(store.db, new SecretBox(randomBytes(32)));
      await secrets.set('default', 'stripe-key', 'sk_live_123');
      await secrets.set('default', 'stripe-key', 'sk_live_456');
      const raw = await store.db.selectFrom('secrets').selectAll().execute();
      expect(raw).toHaveLength(1);
      expect(JSON.stringify(raw)).not.toContain('sk_live');
      expect(await secrets.reveal('default', 'stripe-key')).toBe('sk_live_456');
      expect(await secrets.names('default')).toEqual(['stripe-key']);
      await expect(new SecretStore(store.db, new SecretBox(randomBytes(32))).reveal('default', 'stripe-key')).rejects.toThrow(/another key, or altered/);
      expect(await secrets.delete('default', 'stripe-key')).toBe(true);
      expect(await secrets.reveal('default', 'stripe-key')).toBeUndefined();
    });
  });
}
