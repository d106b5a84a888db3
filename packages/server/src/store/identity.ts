import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { BuiltInRole } from '@slipway/contract';
import type { Database } from './database-schema.ts';
import { keysetPage, type KeysetPage, type PageRequest } from './keyset-page.ts';

// Workspaces, users and what each user holds in each workspace: one built-in role (membership) and
// any number of approver roles. Checks and audit entries are the identity service's; this is storage.

export interface StoredUser {
  id: string;
  name: string;
  createdAt: string;
}

/** A user as a member of one workspace. */
export interface Member {
  userId: string;
  name: string;
  workspace: string;
  role: BuiltInRole;
  approverRoles: string[];
  createdAt: string;
}

export interface StoredWorkspace {
  name: string;
  createdAt: string;
}

export async function getWorkspace(db: Kysely<Database>, name: string): Promise<StoredWorkspace | undefined> {
  const row = await db.selectFrom('workspaces').select(['name', 'created_at']).where('name', '=', name).executeTakeFirst();
  return row ? { name: row.name, createdAt: row.created_at } : undefined;
}

export async function insertWorkspace(db: Kysely<Database>, input: { name: string; createdBy?: string; now?: Date }): Promise<StoredWorkspace> {
  const createdAt = (input.now ?? new Date()).toISOString();
  await db.insertInto('workspaces').values({ name: input.name, created_at: createdAt, created_by: input.createdBy ?? null }).execute();
  return { name: input.name, createdAt };
}

/** Creates the workspace unless it exists. */
export async function ensureWorkspace(db: Kysely<Database>, name: string): Promise<void> {
  await db
    .insertInto('workspaces')
    .values({ name, created_at: new Date().toISOString(), created_by: null })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

export async function findUser(db: Kysely<Database>, name: string): Promise<StoredUser | undefined> {
  const row = await db.selectFrom('users').select(['id', 'name', 'created_at']).where('name', '=', name).executeTakeFirst();
  return row ? { id: row.id, name: row.name, createdAt: row.created_at } : undefined;
}

export async function insertUser(db: Kysely<Database>, input: { name: string; createdBy?: string; now?: Date }): Promise<StoredUser> {
  const user = { id: randomUUID(), name: input.name, createdAt: (input.now ?? new Date()).toISOString() };
  await db.insertInto('users').values({ id: user.id, name: user.name, created_at: user.createdAt, created_by: input.createdBy ?? null }).execute();
  return user;
}

/** What a user holds in a workspace, or undefined when they are not a member. */
export async function membershipOf(db: Kysely<Database>, workspace: string, userId: string): Promise<{ role: BuiltInRole; approverRoles: string[] } | undefined> {
  // Both on every authenticated request: side by side they are one round trip to PostgreSQL, not two.
  const [row, approverRoles] = await Promise.all([db.selectFrom('memberships').select('role').where('workspace', '=', workspace).where('user_id', '=', userId).executeTakeFirst(), approverRolesOf(db, workspace, userId)]);
  if (!row) return undefined;
  return { role: row.role as BuiltInRole, approverRoles };
}

export async function approverRolesOf(db: Kysely<Database>, workspace: string, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('approver_roles').select('role').where('workspace', '=', workspace).where('user_id', '=', userId).orderBy('role').execute();
  return rows.map((r) => r.role);
}

/** Sets a user's built-in role in a workspace, making them a member when they were not. */
export async function setRole(db: Kysely<Database>, workspace: string, userId: string, role: BuiltInRole, now = new Date()): Promise<void> {
  const at = now.toISOString();
  await db
    .insertInto('memberships')
    .values({ workspace, user_id: userId, role, created_at: at, updated_at: at })
    .onConflict((oc) => oc.columns(['workspace', 'user_id']).doUpdateSet({ role, updated_at: at }))
    .execute();
}

/** Removes a user from a workspace, with their approver roles there. */
export async function removeMembership(db: Kysely<Database>, workspace: string, userId: string): Promise<void> {
  await db.deleteFrom('approver_roles').where('workspace', '=', workspace).where('user_id', '=', userId).execute();
  await db.deleteFrom('memberships').where('workspace', '=', workspace).where('user_id', '=', userId).execute();
}

export async function addApproverRoles(db: Kysely<Database>, workspace: string, userId: string, roles: readonly string[], now = new Date()): Promise<void> {
  if (roles.length === 0) return;
  await db
    .insertInto('approver_roles')
    .values(roles.map((role) => ({ workspace, user_id: userId, role, created_at: now.toISOString() })))
    .onConflict((oc) => oc.columns(['workspace', 'user_id', 'role']).doNothing())
    .execute();
}

export async function removeApproverRoles(db: Kysely<Database>, workspace: string, userId: string, roles: readonly string[]): Promise<void> {
  if (roles.length === 0) return;
  await db.deleteFrom('approver_roles').where('workspace', '=', workspace).where('user_id', '=', userId).where('role', 'in', [...roles]).execute();
}

/** The members of a workspace, by name. */
export async function listMembers(db: Kysely<Database>, workspace: string): Promise<Member[]> {
  const rows = await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id as userId', 'users.name as name', 'users.created_at as createdAt', 'memberships.role as role'])
    .where('memberships.workspace', '=', workspace)
    .orderBy('users.name')
    .execute();
  const approvers = await db.selectFrom('approver_roles').select(['user_id', 'role']).where('workspace', '=', workspace).orderBy('role').execute();
  return rows.map((r) => memberOf(r, workspace, approvers));
}

/** A member from its membership row and the workspace's approver roles. */
function memberOf(r: { userId: string; name: string; role: string; createdAt: string }, workspace: string, approvers: { user_id: string; role: string }[]): Member {
  return {
    userId: r.userId,
    name: r.name,
    workspace,
    role: r.role as BuiltInRole,
    approverRoles: approvers.filter((a) => a.user_id === r.userId).map((a) => a.role),
    createdAt: r.createdAt,
  };
}

/** One page of the workspace's members, by user name. */
export async function pageMembers(db: Kysely<Database>, workspace: string, page: PageRequest): Promise<KeysetPage<Member>> {
  const query = db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id as userId', 'users.name as name', 'users.created_at as createdAt', 'memberships.role as role'])
    .where('memberships.workspace', '=', workspace);
  const found = await keysetPage(query, { columns: ['users.name'], direction: 'asc', keyOf: (row) => [row.name] }, page);
  const ids = found.items.map((r) => r.userId);
  const approvers = ids.length ? await db.selectFrom('approver_roles').select(['user_id', 'role']).where('workspace', '=', workspace).where('user_id', 'in', ids).orderBy('role').execute() : [];
  return {
    ...found,
    items: found.items.map((r) => memberOf(r, workspace, approvers)),
  };
}

/** One member of a workspace by user name, or undefined when there is no such user or they are not a member. */
export async function getMember(db: Kysely<Database>, workspace: string, name: string): Promise<Member | undefined> {
  const user = await findUser(db, name);
  if (!user) return undefined;
  const membership = await membershipOf(db, workspace, user.id);
  return membership ? { userId: user.id, name: user.name, workspace, createdAt: user.createdAt, ...membership } : undefined;
}

/** Names of the workspace's members holding an approver role: who may approve where a track asks for it. */
export async function membersWithApproverRole(db: Kysely<Database>, workspace: string, role: string): Promise<string[]> {
  const rows = await db
    .selectFrom('approver_roles')
    .innerJoin('memberships', (join) => join.onRef('memberships.user_id', '=', 'approver_roles.user_id').onRef('memberships.workspace', '=', 'approver_roles.workspace'))
    .innerJoin('users', 'users.id', 'approver_roles.user_id')
    .select('users.name')
    .where('approver_roles.workspace', '=', workspace)
    .where('approver_roles.role', '=', role)
    .orderBy('users.name')
    .execute();
  return rows.map((r) => r.name);
}

export async function countAdmins(db: Kysely<Database>, workspace: string): Promise<number> {
  const row = await db.selectFrom('memberships').select((eb) => eb.fn.countAll().as('n')).where('workspace', '=', workspace).where('role', '=', 'admin').executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The workspaces a user is a member of, with what they hold in each. */
/** One page of `workspacesOf`, by workspace name. */
export async function pageWorkspacesOf(db: Kysely<Database>, userId: string, page: PageRequest): Promise<KeysetPage<StoredWorkspace & { role: BuiltInRole; approverRoles: string[] }>> {
  const query = db
    .selectFrom('memberships')
    .innerJoin('workspaces', 'workspaces.name', 'memberships.workspace')
    .select(['workspaces.name as name', 'workspaces.created_at as createdAt', 'memberships.role as role'])
    .where('memberships.user_id', '=', userId);
  const found = await keysetPage(query, { columns: ['workspaces.name'], direction: 'asc', keyOf: (row) => [row.name] }, page);
  const names = found.items.map((r) => r.name);
  const approvers = names.length ? await db.selectFrom('approver_roles').select(['workspace', 'role']).where('user_id', '=', userId).where('workspace', 'in', names).orderBy('role').execute() : [];
  return { ...found, items: found.items.map((r) => ({ name: r.name, createdAt: r.createdAt, role: r.role as BuiltInRole, approverRoles: approvers.filter((a) => a.workspace === r.name).map((a) => a.role) })) };
}

export async function workspacesOf(db: Kysely<Database>, userId: string): Promise<(StoredWorkspace & { role: BuiltInRole; approverRoles: string[] })[]> {
  const rows = await db
    .selectFrom('memberships')
    .innerJoin('workspaces', 'workspaces.name', 'memberships.workspace')
    .select(['workspaces.name as name', 'workspaces.created_at as createdAt', 'memberships.role as role'])
    .where('memberships.user_id', '=', userId)
    .orderBy('workspaces.name')
    .execute();
  const approvers = await db.selectFrom('approver_roles').select(['workspace', 'role']).where('user_id', '=', userId).orderBy('role').execute();
  return rows.map((r) => ({ name: r.name, createdAt: r.createdAt, role: r.role as BuiltInRole, approverRoles: approvers.filter((a) => a.workspace === r.name).map((a) => a.role) }));
}
