import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './database-schema.ts';

export interface ApiToken {
  id: string;
  name: string;
  workspace: string;
  role: string;
}

/** Creates a token; the returned secret is shown once — only its hash is stored. */
export async function createApiToken(db: Kysely<Database>, input: { name: string; workspace: string; role: string; now?: Date }): Promise<{ token: ApiToken; secret: string }> {
  const id = randomUUID();
  const secret = `slw_${randomBytes(24).toString('base64url')}`;
  await db
    .insertInto('api_tokens')
    .values({ id, name: input.name, workspace: input.workspace, role: input.role, token_hash: hashToken(secret), created_at: (input.now ?? new Date()).toISOString(), last_used_at: null, revoked_at: null })
    .execute();
  return { token: { id, name: input.name, workspace: input.workspace, role: input.role }, secret };
}

/** The token a bearer secret stands for, or undefined when it is unknown or revoked. */
export async function findApiToken(db: Kysely<Database>, secret: string): Promise<ApiToken | undefined> {
  const row = await db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'workspace', 'role'])
    .where('token_hash', '=', hashToken(secret))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row;
}

export async function revokeApiToken(db: Kysely<Database>, id: string, now = new Date()): Promise<boolean> {
  const result = await db.updateTable('api_tokens').set({ revoked_at: now.toISOString() }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

function hashToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
