import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase, queryOperation } from './open-database.ts';

describe('the store', () => {
  it('names what a statement does from its first word, never from its values', () => {
    expect(queryOperation('select * from environments where id = ?')).toBe('select');
    expect(queryOperation('  INSERT into deploys values (?)')).toBe('insert');
    expect(queryOperation('update leases set epoch = epoch + 1')).toBe('update');
    expect(queryOperation('delete from sessions')).toBe('delete');
    expect(queryOperation('with recent as (select 1) update deploys set state = ?')).toBe('update');
    expect(queryOperation('with recent as (select 1) select * from recent')).toBe('select');
    expect(queryOperation('begin')).toBe('transaction');
    expect(queryOperation('pragma journal_mode = WAL')).toBe('other');
    expect(queryOperation("'secret' select")).toBe('other');
  });

  it('counts the queries the database refused, by statement', async () => {
    const store = await openDatabase({ sqlitePath: ':memory:' });
    try {
      await sql`select 1`.execute(store.db);
      expect([...store.queryErrors()]).toEqual([]);
      await expect(sql`select * from no_such_table`.execute(store.db)).rejects.toThrow(/no such table/);
      await expect(sql`insert into no_such_table values (1)`.execute(store.db)).rejects.toThrow(/no such table/);
      await expect(sql`select * from no_such_table`.execute(store.db)).rejects.toThrow(/no such table/);
      expect(Object.fromEntries(store.queryErrors())).toEqual({ select: 2, insert: 1 });
    } finally {
      await store.close();
    }
  });
});
