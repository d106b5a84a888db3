import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { Database } from './database-schema.ts';
import { keysetPage, type KeysetPage, type PageRequest } from './keyset-page.ts';

/** Secrets of a workspace, sealed before they reach the store and opened only to be injected. */
export class SecretStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
  ) {}

  /** The store writing through `db` (a transaction, so that a write and its audit entry are one). */
  in(db: Kysely<Database>): SecretStore {
    return new SecretStore(db, this.box);
  }

  async set(workspace: string, name: string, value: string, now = new Date()): Promise<void> {
    const sealed = this.box.seal(value, identity(workspace, name));
    const at = now.toISOString();
    await this.db
      .insertInto('secrets')
      .values({ workspace, name, sealed, created_at: at, updated_at: at })
      .onConflict((oc) => oc.columns(['workspace', 'name']).doUpdateSet({ sealed, updated_at: at }))
      .execute();
  }

  /** The clear value, for injection into a process; never for an API answer or a log line. */
  async reveal(workspace: string, name: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('secrets').select('sealed').where('workspace', '=', workspace).where('name', '=', name).executeTakeFirst();
    return row ? this.box.open(row.sealed, identity(workspace, name)) : undefined;
  }

  /**
   * Every clear value of the workspace, for masking them in output only, with a fingerprint of the
   * sealed rows: `previous` with the same fingerprint is returned as it is, without opening any.
   */
  async valuesForMasking(workspace: string, previous?: { fingerprint: string; values: string[] }): Promise<{ fingerprint: string; values: string[] }> {
    const rows = await this.db.selectFrom('secrets').select(['name', 'sealed']).where('workspace', '=', workspace).orderBy('name').execute();
    const fingerprint = createHash('sha256').update(JSON.stringify(rows.map((r) => [r.name, r.sealed]))).digest('hex');
    if (previous?.fingerprint === fingerprint) return previous;
    const values: string[] = [];
    for (const row of rows) {
      try {
        values.push(this.box.open(row.sealed, identity(workspace, row.name)));
      } catch {
        // one that cannot be opened cannot be injected either
      }
    }
    return { fingerprint, values };
  }

  async names(workspace: string): Promise<string[]> {
    const rows = await this.db.selectFrom('secrets').select('name').where('workspace', '=', workspace).orderBy('name').execute();
    return rows.map((r) => r.name);
  }

  /** One page of the names of the workspace's secrets, in order. */
  async pageNames(workspace: string, page: PageRequest): Promise<KeysetPage<string>> {
    const found = await keysetPage(this.db.selectFrom('secrets').select('name').where('workspace', '=', workspace), { columns: ['name'], direction: 'asc', keyOf: (row) => [row.name] }, page);
    return { ...found, items: found.items.map((r) => r.name) };
  }

  async delete(workspace: string, name: string): Promise<boolean> {
    const result = await this.db.deleteFrom('secrets').where('workspace', '=', workspace).where('name', '=', name).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function identity(workspace: string, name: string): string {
  return `secret:${workspace}/${name}`;
}
