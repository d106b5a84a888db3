import type { BuiltInRole } from '@slipway/contract';
import { AuthenticationError, NotAllowedError } from '@slipway/core';
import { findApiToken, touchApiToken } from '../store/api-tokens.ts';
import type { Db } from '../store/database-schema.ts';
import { membershipOf } from '../store/identity.ts';
import { lowerRole, type Principal } from './authorize.ts';

/**
 * Who a bearer secret stands for, acting in its token's workspace — or in `workspace` (the
 * `?workspace=` query parameter) when the token's user is an admin there and the token may act as
 * one. Unknown or revoked tokens are refused with 401; a user without a role where they would act,
 * with 403.
 */
export async function authenticate(db: Db, secret: string, workspace?: string): Promise<Principal> {
  const token = await findApiToken(db, secret);
  if (!token) throw new AuthenticationError('the API token is not valid or was revoked');
  const acting = workspace ?? token.workspace;
  const membership = await membershipOf(db, acting, token.userId);
  if (acting !== token.workspace) {
    if (membership?.role !== 'admin' || token.role !== 'admin') {
      throw new NotAllowedError(`the token "${token.name}" acts in workspace ${token.workspace}; acting in workspace ${acting} (?workspace=) needs an admin token of a user who is an admin there`);
    }
  } else if (!membership) {
    throw new NotAllowedError(`${token.user} holds no role in workspace ${acting} any more; an admin there can grant one (slipway users grant ${token.user} --role <role>)`);
  }
  await touchApiToken(db, token);
  return {
    name: token.user,
    userId: token.userId,
    token: { id: token.id, name: token.name },
    workspace: acting,
    role: lowerRole(membership!.role, token.role as BuiltInRole),
    approverRoles: membership!.approverRoles,
  };
}

/** The workspace a request names with `?workspace=`, if any. */
export function requestedWorkspace(query: unknown): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.workspace;
  if (Array.isArray(value)) return typeof value[0] === 'string' && value[0] ? value[0] : undefined;
  return typeof value === 'string' && value ? value : undefined;
}
