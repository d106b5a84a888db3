import type { FastifyRequest } from 'fastify';
import { NotAllowedError } from '@slipway/core';
import type { ApiToken } from '../store/api-tokens.ts';

/** Built-in roles, each allowed what the one before it is, and more. */
const ROLE_RANK: Record<string, number> = { viewer: 0, developer: 1, 'release-manager': 2, admin: 3 };

/** The caller, when its role is at least `role`; otherwise a 403 that says what is needed. */
export function requireRole(request: FastifyRequest, role: 'viewer' | 'developer' | 'release-manager' | 'admin'): ApiToken {
  const principal = request.principal!;
  if ((ROLE_RANK[principal.role] ?? -1) < ROLE_RANK[role]!) {
    throw new NotAllowedError(`this needs the ${role} role; the token "${principal.name}" has ${principal.role}`);
  }
  return principal;
}
