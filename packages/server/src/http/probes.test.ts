// The server's unauthenticated probes: health while the process answers, ready while its store does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../store/open-database.ts';
import { buildApi } from './build-api.ts';

describe('probes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-probes-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answer without a token, and readiness follows the store', async () => {
    const store = await openDatabase({ sqlitePath: join(dir, 'slipway.db') });
    const app = await buildApi({ db: store.db });
    try {
      expect((await app.inject({ method: 'GET', url: '/api/health' })).json()).toEqual({ ok: true });
      const ready = await app.inject({ method: 'GET', url: '/api/ready' });
      expect([ready.statusCode, ready.json()]).toEqual([200, { ready: true }]);
      await store.close();
      const cut = await app.inject({ method: 'GET', url: '/api/ready' });
      expect(cut.statusCode).toBe(503);
      expect(cut.json()).toMatchObject({ ready: false, error: { code: 'store_unavailable' } });
      expect((await app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
