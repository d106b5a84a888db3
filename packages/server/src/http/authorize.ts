import type { FastifyRequest } from 'fastify';
import { builtInRoles, type BuiltInRole } from '@slipway/contract';
import { AuthenticationError, NotAllowedError } from '@slipway/core';

/**
 * Who is asking, as the bearer-token hook (authenticate.ts) puts it on every /api/v1 request: the
 * token's user acting in one workspace, with the role and approver roles they hold there.
 */
export interface Principal {
  /** The user's name: the actor that audit entries, deploys and approvals record. */
  name: string;
  userId: string;
  /** The token the request came with. */
  token: { id: string; name: string };
  /** The workspace the request acts in: the token's own, or the one `?workspace=` named (admins of it only). */
  workspace: string;
  /** The lower of the user's role in the workspace and the most the token may do. */
  role: BuiltInRole;
  /** The user's approver roles in the workspace (qa, security…), sorted. */
  approverRoles: readonly string[];
}

/** Built-in roles, each allowed what the one before it is, and more. */
export function roleRank(role: string): number {
  return (builtInRoles as readonly string[]).indexOf(role);
}

/** Whether `role` is `minimum` or above it. */
export function roleAtLeast(role: string, minimum: BuiltInRole): boolean {
  return roleRank(role) >= roleRank(minimum);
}

/** The lower of two built-in roles. */
export function lowerRole(a: BuiltInRole, b: BuiltInRole): BuiltInRole {
  return roleRank(a) <= roleRank(b) ? a : b;
}

export function hasRole(principal: Principal, minimum: BuiltInRole): boolean {
  return roleAtLeast(principal.role, minimum);
}

/** Why the principal may not do what needs `role`, or undefined when it may: the message of requireRole's 403. */
export function roleRefusal(principal: Principal, role: BuiltInRole): string | undefined {
  if (hasRole(principal, role)) return undefined;
  return `this needs the ${role} role in workspace ${principal.workspace}; ${principal.name} acts with ${principal.role} (token "${principal.token.name}")`;
}

/**
 * The caller of an /api/v1 route. Its least role was checked before the handler ran, from the role
 * table (operation-role-check.ts); a handler checks only what depends on the data.
 */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AuthenticationError('missing API token: send "Authorization: Bearer <token>"');
  return request.principal;
}

/** The caller, when its role is at least `role`; otherwise a 403 that says what is needed. */
export function requireRole(request: FastifyRequest, role: BuiltInRole): Principal {
  const principal = request.principal!;
  const refusal = roleRefusal(principal, role);
  if (refusal) throw new NotAllowedError(refusal);
  return principal;
}

/**
 * Whether the caller holds an approver role a track names. A track may also name a built-in role
 * (`release-manager`): that is held by whoever's role is at least that one.
 */
export function hasApproverRole(principal: Principal, approverRole: string): boolean {
  if (roleRank(approverRole) >= 0) return hasRole(principal, approverRole as BuiltInRole);
  return principal.approverRoles.includes(approverRole);
}

/**
 * Which of `anyOf` (the approver roles a gate asks for) the caller holds; a 403 naming them when it
 * holds none. The caller decides what one approval counts for (every role held, or one chosen).
 */
export function requireApproverRole(request: FastifyRequest, anyOf: readonly string[]): string[] {
  const principal = request.principal!;
  const held = anyOf.filter((role) => hasApproverRole(principal, role));
  if (held.length === 0) {
    const holds = principal.approverRoles.length ? `holds ${principal.approverRoles.join(', ')}` : 'holds no approver role';
    throw new NotAllowedError(`this needs the approver role ${anyOf.join(' or ')} in workspace ${principal.workspace}; ${principal.name} ${holds} there`);
  }
  return held;
}

/** For acts on a user's own things (their tokens): the user themself, or someone with `role`. */
export function requireSelfOrRole(request: FastifyRequest, userName: string, role: BuiltInRole): Principal {
  const principal = request.principal!;
  if (principal.name !== userName && !hasRole(principal, role)) {
    throw new NotAllowedError(`only ${userName} or a member with the ${role} role may do this; ${principal.name} acts with ${principal.role}`);
  }
  return principal;
}
