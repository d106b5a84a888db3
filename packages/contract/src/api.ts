import { z } from 'zod';
import { nextCursor, pageOf } from './pagination.ts';
import { dnsLabel } from './primitives.ts';

/**
 * Registering an application: either a manifest (YAML text of one Application), or a git repository
 * (a local path on the server's machine or any git URL) whose `.slipway/` folder holds it.
 */
export const createApplicationRequest = z
  .strictObject({
    manifest: z.string().min(1).max(1_000_000).optional().describe('YAML of one Application manifest'),
    file: z.string().max(500).optional().describe('name of the file it came from, used in error messages'),
    repository: z.string().min(1).max(2_000).optional().describe('git repository: a path on the server or a URL'),
    branch: z.string().min(1).max(255).optional().describe('branch to read .slipway/ from; the default branch when absent'),
    path: z
      .string()
      .min(1)
      .max(500)
      .optional()
      .describe("with repository: the repository's folder that holds the manifests, relative to its root (such as .slipway-docker); .slipway when absent"),
  })
  .refine((r) => (r.manifest === undefined) !== (r.repository === undefined), { message: 'send either "manifest" or "repository", not both and not neither' })
  .refine((r) => r.path === undefined || r.repository !== undefined, { message: '"path" names a folder of the repository: send it with "repository"' });
export type CreateApplicationRequest = z.infer<typeof createApplicationRequest>;

export const applicationResponse = z.object({
  name: dnsLabel,
  workspace: z.string(),
  currentVersion: z.string().describe('content hash of the current template version'),
  repositoryUrl: z.string().optional(),
  trackingBranch: z.string().optional(),
  versions: z.array(z.object({ version: z.string(), source: z.string(), createdAt: z.string() })).optional(),
  liveEnvironments: z.number().int().optional().describe('in GET /api/v1/applications: how many live environments it has'),
});
export type ApplicationResponse = z.infer<typeof applicationResponse>;

export const applicationListResponse = pageOf(applicationResponse);

export const diagnosticSchema = z.object({
  severity: z.enum(['error', 'warning']),
  file: z.string().optional(),
  line: z.number().optional(),
  column: z.number().optional(),
  path: z.string().optional(),
  message: z.string(),
});

/** Every error answer of the API. */
export const errorResponse = z.object({
  error: z.object({
    code: z.enum(['invalid_input', 'not_found', 'conflict', 'not_allowed', 'unauthenticated', 'internal', 'audit_unavailable']),
    message: z.string(),
    diagnostics: z.array(diagnosticSchema).optional(),
  }),
});
export type ErrorResponse = z.infer<typeof errorResponse>;

/** `GET /api/v1/applications/:name/branches` — the branches of the application's repository, to pick one for a new environment. */
export const applicationBranchesResponse = z.object({
  items: z.array(z.object({ name: z.string(), commit: z.string() })).describe('by name'),
  nextCursor,
  defaultBranch: z.string().optional().describe("the repository's default branch, when it says"),
  trackingBranch: z.string().optional().describe('the branch the application was registered from'),
});
export type ApplicationBranchesResponse = z.infer<typeof applicationBranchesResponse>;
