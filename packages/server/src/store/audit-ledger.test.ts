import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testDatabases } from '../test-support/test-databases.ts';
import { auditEntryHash, canonicalJson, exportAudit, GENESIS_HASH, listAudit, recordAudit, verifyAudit, type AuditEntry } from './audit-ledger.ts';
import { openDatabase, type StoreDatabase } from './open-database.ts';

for (const database of testDatabases()) {
  describe.skipIf(database.skip !== undefined)(`audit ledger on ${database.name}${database.skip ? ` (skipped: ${database.skip})` : ''}`, () => {
    let store: StoreDatabase;
    let location: Awaited<ReturnType<typeof database.create>>['location'];
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      const created = await database.create();
      dispose = created.dispose;
      location = created.location;
      store = await openDatabase(location);
    });
    afterEach(async () => {
      await store.close();
      await dispose();
    });

    const append = (n: number, workspace = 'default') =>
      Array.from({ length: n }, (_, i) => i).reduce<Promise<AuditEntry[]>>(
        async (done, i) => [...(await done), await recordAudit(store.db, { workspace, actor: i % 2 ? 'alice' : 'bob', kind: i % 3 ? 'secret.set' : 'role.grant', subject: `thing-${i}`, details: { i } })],
        Promise.resolve([]),
      );

    it('chains each entry to the one before by the hash of its canonical form', async () => {
      const entries = await append(3);
      expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
      expect(entries[1]!.prevHash).toBe(entries[0]!.hash);
      expect(entries[2]!.prevHash).toBe(entries[1]!.hash);
      const first = entries[0]!;
      expect(first.hash).toBe(auditEntryHash({ ...first, detailsJson: canonicalJson(first.details) }));
      expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 1 }], c: undefined } })).toBe('{"a":{"d":[1,{"e":1,"f":2}]},"b":1}');
      expect(await verifyAudit(store.db)).toMatchObject({ ok: true, entries: 3, headSeq: 3, headHash: entries[2]!.hash, problems: [] });
    });

    it('keeps one unbroken chain when many appends race, from one pool and from a second server', async () => {
      // PostgreSQL: two servers on one database, each with its own pool. SQLite has one writer per
      // file and its driver is synchronous, so one server's concurrent requests are what races there.
      const other = database.name === 'postgres' ? await openDatabase(location) : store;
      try {
        const appends = Array.from({ length: 120 }, (_, i) => recordAudit(i % 2 ? other.db : store.db, { workspace: 'default', actor: `user-${i}`, kind: 'secret.set', subject: `s-${i}` }));
        const entries = await Promise.all(appends);
        expect(new Set(entries.map((e) => e.seq)).size).toBe(120);
        expect(Math.max(...entries.map((e) => e.seq))).toBe(120);
        const verification = await verifyAudit(store.db, { batchSize: 7 });
        expect(verification.problems).toEqual([]);
        expect(verification).toMatchObject({ ok: true, entries: 120, headSeq: 120 });
      } finally {
        if (other !== store) await other.close();
      }
    });

    it('writes an entry with the transaction it is given, and drops it when that rolls back', async () => {
      await append(2);
      await expect(
        store.db.transaction().execute(async (tx) => {
          await recordAudit(tx, { workspace: 'default', actor: 'alice', kind: 'release.approve', subject: 'r1' });
          throw new Error('the promotion failed');
        }),
      ).rejects.toThrow('the promotion failed');
      const kept = await store.db.transaction().execute(async (tx) => recordAudit(tx, { workspace: 'default', actor: 'alice', kind: 'release.approve', subject: 'r1' }));
      expect(kept.seq).toBe(3);
      expect(await verifyAudit(store.db)).toMatchObject({ ok: true, entries: 3 });
      await expect(recordAudit(store.db, { workspace: 'default', actor: 'alice', kind: 'Approve!', subject: 'r1' })).rejects.toThrow(/expected <subject>\.<action>/);
    });

    it('names an entry edited in the database', async () => {
      await append(10);
      await sql`UPDATE audit_entries SET actor = 'mallory' WHERE seq = 4`.execute(store.db);
      const result = await verifyAudit(store.db, { batchSize: 3 });
      expect(result.ok).toBe(false);
      expect(result.problems).toEqual([{ seq: 4, problem: 'edited', message: 'entry 4 was edited: its fields no longer match its hash' }]);
    });

    it('names an entry rewritten with its hash recomputed, in the middle and at the end', async () => {
      const entries = await append(6);
      const forge = async (seq: number) => {
        const entry = entries[seq - 1]!;
        const hash = auditEntryHash({ ...entry, actor: 'mallory', detailsJson: canonicalJson(entry.details) });
        await sql`UPDATE audit_entries SET actor = 'mallory', hash = ${hash} WHERE seq = ${seq}`.execute(store.db);
      };
      await forge(3);
      await forge(6);
      const result = await verifyAudit(store.db);
      expect(result.problems.map((p) => [p.seq, p.problem])).toEqual([
        [3, 'rewritten'],
        [6, 'rewritten'],
      ]);
      expect(result.problems[0]!.message).toBe('entry 3 was rewritten: its hash is not the one entry 4 recorded for it');
      expect(result.problems[1]!.message).toBe('entry 6 was rewritten: its hash is not the one the ledger head recorded for it');
    });

    it('names deleted entries: in the middle, at the start and at the end', async () => {
      await append(8);
      await sql`DELETE FROM audit_entries WHERE seq IN (1, 5, 6, 8)`.execute(store.db);
      const result = await verifyAudit(store.db, { batchSize: 2 });
      expect(result.problems).toEqual([
        { seq: 1, problem: 'deleted', message: 'entry 1 was deleted: the ledger starts at entry 2' },
        { seq: 5, problem: 'deleted', message: 'entries 5 to 6 were deleted: entry 4 is followed at entry 7' },
        { seq: 8, problem: 'deleted', message: 'entry 8 was deleted: the ledger head records 8 entries, the last one left is 7' },
      ]);
    });

    it('names inserted entries, even one chained and hashed like a real one', async () => {
      const entries = await append(4);
      const last = entries[3]!;
      const forged = { seq: 5, at: new Date().toISOString(), workspace: 'default', actor: 'mallory', kind: 'role.grant', subject: 'mallory', detailsJson: '{"role":"admin"}', prevHash: last.hash };
      await sql`INSERT INTO audit_entries (seq, at, workspace, actor, kind, subject, details_json, prev_hash, hash)
        VALUES (${forged.seq}, ${forged.at}, 'default', 'mallory', 'role.grant', 'mallory', ${forged.detailsJson}, ${forged.prevHash}, ${auditEntryHash(forged)})`.execute(store.db);
      await sql`INSERT INTO audit_entries (seq, at, workspace, actor, kind, subject, details_json, prev_hash, hash)
        VALUES (0, ${forged.at}, 'default', 'mallory', 'role.grant', 'mallory', '{}', ${GENESIS_HASH}, ${GENESIS_HASH})`.execute(store.db);
      const result = await verifyAudit(store.db);
      expect(result.problems).toEqual([
        { seq: 0, problem: 'inserted', message: 'entry 0 was inserted: seqs start at 1 and only increase' },
        { seq: 5, problem: 'inserted', message: 'entry 5 was inserted outside the ledger: its head ends at entry 4' },
      ]);
    });

    it('lists a workspace’s entries newest first, filtered and a page at a time, and exports them oldest first', async () => {
      await append(7);
      await append(2, 'other');
      const page = await listAudit(store.db, { workspace: 'default', limit: 3 });
      expect(page.items.map((e) => e.seq)).toEqual([7, 6, 5]);
      expect(page.nextBefore).toBe(5);
      const rest = await listAudit(store.db, { workspace: 'default', limit: 10, before: page.nextBefore! });
      expect(rest.items.map((e) => e.seq)).toEqual([4, 3, 2, 1]);
      expect(rest.nextBefore).toBeUndefined();
      expect((await listAudit(store.db, { workspace: 'default', actor: 'alice' })).items.every((e) => e.actor === 'alice')).toBe(true);
      expect((await listAudit(store.db, { workspace: 'default', kinds: ['role.*'] })).items.map((e) => e.seq)).toEqual([7, 4, 1]);
      expect((await listAudit(store.db, { workspace: 'default', kinds: ['role.grant', 'secret.set'] })).items).toHaveLength(7);
      expect((await listAudit(store.db, { workspace: 'default', since: new Date(Date.now() + 60_000).toISOString() })).items).toEqual([]);
      expect((await listAudit(store.db, { workspace: 'default', until: new Date(Date.now() + 60_000).toISOString() })).items).toHaveLength(7);
      const exported: AuditEntry[] = [];
      for await (const entry of exportAudit(store.db, { workspace: 'other' }, 1)) exported.push(entry);
      expect(exported.map((e) => [e.seq, e.workspace])).toEqual([
        [8, 'other'],
        [9, 'other'],
      ]);
    });
  });
}
