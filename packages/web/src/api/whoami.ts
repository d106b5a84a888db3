import type { BuiltInRole, WhoamiResponse } from '@slipway/contract';
import { useQuery } from '@tanstack/react-query';
import { useApi } from './session.tsx';

// The role order of @slipway/contract's builtInRoles, written out: importing a value from the
// contract would bundle zod and every schema into the portal (hundreds of kB).
const roleOrder = ['viewer', 'developer', 'release-manager', 'admin'] as const satisfies readonly BuiltInRole[];
// Fails to compile when the contract gains a role that is missing above.
const everyRole: Exclude<BuiltInRole, (typeof roleOrder)[number]> extends never ? true : false = true;
void everyRole;

/** Who the signed-in token acts as (GET /api/v1/whoami): user, workspace, role, approver roles. */
export function useWhoami() {
  const api = useApi();
  return useQuery({ queryKey: ['whoami'], queryFn: () => api.json<WhoamiResponse>('GET', '/api/v1/whoami'), staleTime: 60_000 });
}

/** Whether `role` may do what needs `minimum` (viewer < developer < release-manager < admin). */
export function roleAtLeast(role: BuiltInRole, minimum: BuiltInRole): boolean {
  return roleOrder.indexOf(role) >= roleOrder.indexOf(minimum);
}

/** The roles that may do what needs `minimum`, least first (release-manager → release-manager, admin). */
export function rolesFrom(minimum: BuiltInRole): BuiltInRole[] {
  return roleOrder.slice(roleOrder.indexOf(minimum));
}

/**
 * Why the signed-in user may not do what needs `minimum`, or undefined when they may (or while it
 * is not known yet: the API decides in the end and says why it refuses).
 */
export function useRefusal(minimum: BuiltInRole, what: string): string | undefined {
  const whoami = useWhoami();
  if (!whoami.data || roleAtLeast(whoami.data.role, minimum)) return undefined;
  return `Your role in ${whoami.data.workspace} is ${whoami.data.role}: ${what} needs ${minimum}.`;
}
