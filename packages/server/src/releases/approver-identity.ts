import type { Approver } from '@slipway/core';

// Who approves: the user a request acts as, and the approver roles they hold. This is the one place
// that reads those from the request's principal, so the release flow does not depend on how users,
// roles and tokens are stored.

/** What the release flow needs of a principal; the API token of today and the user principal both have it. */
export interface PrincipalLike {
  name: string;
  role: string;
  /** Approver roles held in the workspace (qa, product, security), when the principal carries them. */
  approverRoles?: readonly string[];
}

export type ApproverIdentity = (principal: PrincipalLike) => Approver;

const BUILT_IN_ROLES = ['viewer', 'developer', 'release-manager', 'admin'];

/**
 * The approver roles of a principal: those it carries, and the built-in roles at or below its own
 * (a track may name release-manager as an approver role). A principal whose role is not a built-in
 * one holds that role as an approver role.
 */
export const approverFromPrincipal: ApproverIdentity = (principal) => {
  const roles = new Set<string>(principal.approverRoles ?? []);
  const rank = BUILT_IN_ROLES.indexOf(principal.role);
  if (rank < 0) roles.add(principal.role);
  else for (const role of BUILT_IN_ROLES.slice(0, rank + 1)) roles.add(role);
  return { user: principal.name, roles: [...roles].sort() };
};
