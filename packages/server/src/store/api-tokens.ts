import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { builtInRoles, type BuiltInRole } from '@slipway/contract';
import type { Database } from './database-schema.ts';
import { addApproverRoles, ensureWorkspace, findUser, insertUser, membershipOf, setRole } from './identity.ts';
import { transact } from './transact.ts';
import { keysetPage, type KeysetPage, type PageRequest } from './keyset-page.ts';

export interface ApiToken {
  id: string;
  name: string;
  /** The workspace the token acts in. */
  workspace: string;
  /** The most the token may do: it acts with the lower of this and its user's role in the workspace. */
  role: string;
  userId: string;
  /** The user's name. */
  user: string;
}

export interface ListedApiToken extends ApiToken {
  createdAt: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

const rank = (role: string) => (builtInRoles as readonly string[]).indexOf(role);

/** Stores a token of a user (who must exist); the returned secret is shown once — only its hash is stored. */
export async function insertApiToken(
  db: Kysely<Database>,
  input: { name: string; workspace: string; role: BuiltInRole; userId: string; userName: string; now?: Date },
): Promise<{ token: ApiToken; secret: string }> {
  const id = randomUUID();
  const secret = `slw_${randomBytes(24).toString('base64url')}`;
  await db
    .insertInto('api_tokens')
    .values({ id, name: input.name, workspace: input.workspace, role: input.role, user_id: input.userId, token_hash: hashToken(secret), created_at: (input.now ?? new Date()).toISOString(), last_used_at: null, revoked_at: null })
    .execute();
  return { token: { id, name: input.name, workspace: input.workspace, role: input.role, userId: input.userId, user: input.userName }, secret };
}

/**
 * Creates a token, making whatever it needs: the workspace, the user (default `admin`), and the
 * user's membership with at least `role` and the given approver roles. For the first start and for
 * tests; the API's `POST /api/v1/tokens` checks instead of creating (identity-service.ts).
 */
export async function createApiToken(
  db: Kysely<Database>,
  input: { name: string; workspace: string; role: string; user?: string; approverRoles?: string[]; now?: Date },
): Promise<{ token: ApiToken; secret: string }> {
  if (rank(input.role) < 0) throw new Error(`unknown role "${input.role}": expected one of ${builtInRoles.join(', ')}`);
  const role = input.role as BuiltInRole;
  return transact(db, async (tx) => {
    await ensureWorkspace(tx, input.workspace);
    const userName = input.user ?? 'admin';
    const user = (await findUser(tx, userName)) ?? (await insertUser(tx, { name: userName }));
    const membership = await membershipOf(tx, input.workspace, user.id);
    if (!membership || rank(membership.role) < rank(role)) await setRole(tx, input.workspace, user.id, role);
    await addApproverRoles(tx, input.workspace, user.id, input.approverRoles ?? []);
    return insertApiToken(tx, { name: input.name, workspace: input.workspace, role, userId: user.id, userName: user.name, ...(input.now ? { now: input.now } : {}) });
  });
}

/** The token a bearer secret stands for, or undefined when it is unknown or revoked. */
/** Whether any token was ever made (revoked ones count): a server's first start makes the first. */
export async function anyApiTokenExists(db: Kysely<Database>): Promise<boolean> {
  return (await db.selectFrom('api_tokens').select('id').limit(1).executeTakeFirst()) !== undefined;
}

export async function findApiToken(db: Kysely<Database>, secret: string): Promise<(ApiToken & { lastUsedAt?: string }) | undefined> {
  const row = await db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['api_tokens.id', 'api_tokens.name', 'api_tokens.workspace', 'api_tokens.role', 'api_tokens.user_id', 'api_tokens.last_used_at', 'users.name as user'])
    .where('api_tokens.token_hash', '=', hashToken(secret))
    .where('api_tokens.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  return { id: row.id, name: row.name, workspace: row.workspace, role: row.role, userId: row.user_id!, user: row.user, ...(row.last_used_at ? { lastUsedAt: row.last_used_at } : {}) };
}

function listedTokens(db: Kysely<Database>) {
  return db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['api_tokens.id', 'api_tokens.name', 'api_tokens.workspace', 'api_tokens.role', 'api_tokens.user_id', 'api_tokens.created_at', 'api_tokens.last_used_at', 'api_tokens.revoked_at', 'users.name as user']);
}

type ListedRow = Awaited<ReturnType<ReturnType<typeof listedTokens>['executeTakeFirstOrThrow']>>;

function listedOf(row: ListedRow): ListedApiToken {
  return {
    id: row.id,
    name: row.name,
    workspace: row.workspace,
    role: row.role,
    userId: row.user_id!,
    user: row.user,
    createdAt: row.created_at,
    ...(row.last_used_at ? { lastUsedAt: row.last_used_at } : {}),
    ...(row.revoked_at ? { revokedAt: row.revoked_at } : {}),
  };
}

/** Tokens acting in a workspace (of one user when given), newest first; revoked ones only when asked. */
export async function listApiTokens(db: Kysely<Database>, filter: { workspace: string; userId?: string; includeRevoked?: boolean }): Promise<ListedApiToken[]> {
  let query = listedTokens(db).where('api_tokens.workspace', '=', filter.workspace);
  if (filter.userId) query = query.where('api_tokens.user_id', '=', filter.userId);
  if (!filter.includeRevoked) query = query.where('api_tokens.revoked_at', 'is', null);
  return (await query.orderBy('api_tokens.created_at', 'desc').execute()).map(listedOf);
}

/** One page of `listApiTokens`: newest first, then by id. */
export async function pageApiTokens(db: Kysely<Database>, filter: { workspace: string; userId?: string; includeRevoked?: boolean }, page: PageRequest): Promise<KeysetPage<ListedApiToken>> {
  let query = listedTokens(db).where('api_tokens.workspace', '=', filter.workspace);
  if (filter.userId) query = query.where('api_tokens.user_id', '=', filter.userId);
  if (!filter.includeRevoked) query = query.where('api_tokens.revoked_at', 'is', null);
  const found = await keysetPage(query, { columns: ['api_tokens.created_at', 'api_tokens.id'], direction: 'desc', keyOf: (row) => [row.created_at, row.id] }, page);
  return { ...found, items: found.items.map(listedOf) };
}

export async function getApiToken(db: Kysely<Database>, id: string): Promise<ListedApiToken | undefined> {
  const row = await listedTokens(db).where('api_tokens.id', '=', id).executeTakeFirst();
  return row ? listedOf(row) : undefined;
}

export async function revokeApiToken(db: Kysely<Database>, id: string, now = new Date()): Promise<boolean> {
  const result = await db.updateTable('api_tokens').set({ revoked_at: now.toISOString() }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Revokes every live token of a user acting in a workspace; returns how many. */
export async function revokeTokensOf(db: Kysely<Database>, userId: string, workspace: string, now = new Date()): Promise<number> {
  const result = await db.updateTable('api_tokens').set({ revoked_at: now.toISOString() }).where('user_id', '=', userId).where('workspace', '=', workspace).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Notes that a token was used, at most once a minute per token so reads stay reads. */
export async function touchApiToken(db: Kysely<Database>, token: { id: string; lastUsedAt?: string }, now = new Date()): Promise<void> {
  if (token.lastUsedAt && now.getTime() - Date.parse(token.lastUsedAt) < 60_000) return;
  await db.updateTable('api_tokens').set({ last_used_at: now.toISOString() }).where('id', '=', token.id).execute();
}

function hashToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
