import { z } from 'zod';
import { pageOf } from './pagination.ts';
import { dnsLabel } from './primitives.ts';

// Requests and answers of the workspaces, users and API tokens endpoints (docs/security.md).

/** Built-in roles, lowest first: each may do what the one before it may, and more. */
export const builtInRoles = ['viewer', 'developer', 'release-manager', 'admin'] as const;
export const builtInRole = z.enum(builtInRoles);
export type BuiltInRole = z.infer<typeof builtInRole>;

/**
 * An approver role a release track names (qa, product, security, sre): free-form, held per workspace
 * beside the built-in role. Built-in names are refused: those are granted as the role itself.
 */
export const approverRoleName = dnsLabel.refine((name) => !(builtInRoles as readonly string[]).includes(name), {
  message: `an approver role cannot be named like a built-in role (${builtInRoles.join(', ')}); grant that as the user's role instead`,
});

export const workspaceName = dnsLabel;

/** A user's name: what audit entries and deploys record as the actor. */
export const userName = z.string().regex(/^[a-z0-9][a-z0-9._@-]{0,99}$/, {
  message: 'expected a user name of lowercase letters, digits, ".", "_", "@" and "-" (at most 100), such as alice or alice@example.com',
});

export const createWorkspaceRequest = z.strictObject({ name: workspaceName.describe('workspace name') });
export type CreateWorkspaceRequest = z.infer<typeof createWorkspaceRequest>;

export const workspaceResponse = z.object({
  name: z.string(),
  createdAt: z.string(),
  role: builtInRole.describe("the caller's role in this workspace"),
  approverRoles: z.array(z.string()).describe("the caller's approver roles in this workspace"),
});
export type WorkspaceResponse = z.infer<typeof workspaceResponse>;
export const workspaceListResponse = pageOf(workspaceResponse);

export const createUserRequest = z.strictObject({
  name: userName,
  role: builtInRole.default('developer').describe('role in the workspace the request acts in (default developer)'),
  approverRoles: z.array(approverRoleName).max(50).default([]).describe('approver roles in that workspace, such as qa or security'),
});
export type CreateUserRequest = z.input<typeof createUserRequest>;

export const userResponse = z.object({
  name: z.string(),
  workspace: z.string().describe('the workspace the role and approver roles are held in'),
  role: builtInRole,
  approverRoles: z.array(z.string()),
  createdAt: z.string().describe('when the user was created'),
});
export type UserResponse = z.infer<typeof userResponse>;
export const userListResponse = pageOf(userResponse);

/** Grant: set the built-in role (up or down; adds the user to the workspace) and/or add approver roles. */
export const grantRolesRequest = z
  .strictObject({
    role: builtInRole.optional().describe("the user's role in the workspace from now on"),
    approverRoles: z.array(approverRoleName).max(50).optional().describe('approver roles to add'),
  })
  .refine((r) => r.role !== undefined || (r.approverRoles?.length ?? 0) > 0, { message: 'nothing to grant: give "role" or "approverRoles"' });
export type GrantRolesRequest = z.infer<typeof grantRolesRequest>;

/** Revoke: the built-in role (which removes the user from the workspace, with its approver roles) and/or approver roles. */
export const revokeRolesRequest = z
  .strictObject({
    role: builtInRole.optional().describe("the user's current role: revoking it removes the user from the workspace"),
    approverRoles: z.array(approverRoleName).max(50).optional().describe('approver roles to remove'),
  })
  .refine((r) => r.role !== undefined || (r.approverRoles?.length ?? 0) > 0, { message: 'nothing to revoke: give "role" or "approverRoles"' });
export type RevokeRolesRequest = z.infer<typeof revokeRolesRequest>;

export const revokeRolesResponse = z.object({
  name: z.string(),
  workspace: z.string(),
  removed: z.boolean().describe('whether the user was removed from the workspace (their role was revoked)'),
  user: userResponse.optional().describe('what the user still holds, when they remain a member'),
});
export type RevokeRolesResponse = z.infer<typeof revokeRolesResponse>;

export const createTokenRequest = z.strictObject({
  name: z.string().min(1).max(100).describe('what the token is for, such as ci-deploy or laptop'),
  user: userName.optional().describe('whose token (admins only); the caller when absent'),
  role: builtInRole.optional().describe("the most the token may do, at most the user's role (default: the user's role now)"),
});
export type CreateTokenRequest = z.infer<typeof createTokenRequest>;

export const tokenResponse = z.object({
  id: z.string(),
  name: z.string(),
  user: z.string(),
  workspace: z.string().describe('the workspace the token acts in'),
  role: builtInRole.describe("the most the token may do; it acts with the lower of this and its user's current role"),
  createdAt: z.string(),
  lastUsedAt: z.string().optional().describe('to within a minute'),
  revokedAt: z.string().optional(),
});
export type TokenResponse = z.infer<typeof tokenResponse>;
export const tokenListResponse = pageOf(tokenResponse);

export const createdTokenResponse = z.object({
  token: tokenResponse,
  secret: z.string().describe('the token itself: shown this once, only its hash is stored'),
});
export type CreatedTokenResponse = z.infer<typeof createdTokenResponse>;

/** `GET /api/v1/whoami` — who the token acts as: what the portal shows in its header and uses to offer only allowed actions. */
export const whoamiResponse = z.object({
  user: z.string(),
  workspace: z.string().describe('the workspace requests act in'),
  role: z.enum(builtInRoles).describe('the lower of the user’s role there and the most the token may do'),
  approverRoles: z.array(z.string()),
  token: z.object({ id: z.string(), name: z.string() }),
});
export type WhoamiResponse = z.infer<typeof whoamiResponse>;
