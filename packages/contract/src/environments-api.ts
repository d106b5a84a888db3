import { z } from 'zod';
import { pageOf } from './pagination.ts';
import { dnsLabel, duration } from './primitives.ts';

// Requests and answers of the environments, deploys and instances endpoints. The CLI and the web
// portal read these shapes; the server validates requests with them and documents them in OpenAPI.

const envVariables = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'expected a variable name (letters, digits, "_", ".", "-")'), z.string().max(65_536));

/** `POST /api/v1/environments` — an ephemeral environment for a branch, or a permanent one with a name. */
export const createEnvironmentRequest = z.strictObject({
  app: dnsLabel.describe('application name'),
  branch: z.string().min(1).max(255).optional().describe("git branch to run; the application's tracking branch when absent"),
  commit: z.string().regex(/^[0-9a-f]{4,40}$/, 'expected a commit sha (hex)').optional().describe('exact commit; the head of the branch when absent'),
  kind: z.enum(['ephemeral', 'permanent']).optional().describe('ephemeral (default, with a TTL) or permanent'),
  id: dnsLabel.optional().describe('environment id used in hostnames; from the branch (ephemeral) or required (permanent)'),
  ttl: duration.optional().describe('time to live of an ephemeral environment (default from the template, else 72h)'),
  template: z.string().max(63).optional().describe('environment template to apply'),
  variables: envVariables.optional().describe('variables of this environment only; they win over the application’s'),
});
export type CreateEnvironmentRequest = z.infer<typeof createEnvironmentRequest>;

/** `paused`: its services are stopped, their state kept, and its routes answer a paused page (POST …/pause, …/resume). */
export const environmentStatus = z.enum(['queued', 'deploying', 'ready', 'paused', 'failed', 'errored', 'deleting', 'deleted']);
export type EnvironmentStatus = z.infer<typeof environmentStatus>;

export const deployState = z.enum(['queued', 'running', 'succeeded', 'failed', 'errored', 'cancelled']);
export type DeployState = z.infer<typeof deployState>;

export const taskStateSchema = z.enum(['pending', 'running', 'succeeded', 'failed', 'errored', 'skipped']);

export const deployTaskResponse = z.object({
  key: z.string().describe('step:kind:name, or "source" for the checkout and build'),
  step: z.number().int().describe('-1 for the source task'),
  stepName: z.string(),
  kind: z.enum(['source', 'service', 'job', 'remove-environment']),
  name: z.string().optional(),
  state: taskStateSchema,
  reason: z.string().optional(),
  logTail: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});
export type DeployTaskResponse = z.infer<typeof deployTaskResponse>;

export const deployResponse = z.object({
  id: z.string(),
  envId: z.string(),
  app: z.string(),
  seq: z.number().int().describe('order of the deploy within its environment'),
  workflow: z.enum(['setup', 'patch', 'teardown']),
  state: deployState,
  outcome: z.enum(['succeeded', 'failed', 'errored']).optional(),
  reason: z.string().optional(),
  commit: z.string().optional(),
  images: z.record(z.string(), z.string()).optional().describe('docker runtime: the image id (sha256:…) built for each service with a build'),
  requestedBy: z.string().optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  tasks: z.array(deployTaskResponse).optional(),
});
export type DeployResponse = z.infer<typeof deployResponse>;

export const instanceResponse = z.object({
  name: z.string(),
  service: z.string(),
  replica: z.number().int(),
  state: z.enum(['starting', 'ready', 'unhealthy', 'crash-looping', 'stopped']),
  restarts: z.number().int(),
  runtimeId: z.string().optional().describe('process id or container id'),
  startedAt: z.string().optional(),
  endpoints: z.array(z.object({ port: z.number().int(), host: z.string(), hostPort: z.number().int() })),
  lastExit: z.object({ code: z.number().int().nullable(), signal: z.string().nullable(), at: z.string(), reason: z.string().optional() }).optional(),
  message: z.string().optional(),
  logTail: z.string().optional(),
});
export type InstanceResponse = z.infer<typeof instanceResponse>;

/**
 * Who governs a protected environment — a release track's stage or a release plan admission — and
 * how it changes instead: direct deploys, changes of variables, extending and deleting are refused.
 */
export const environmentProtection = z.object({
  kind: z.enum(['track', 'admission', 'mark']).describe('mark: an admin marked it protected by hand (slipway envs protect)'),
  name: z.string().describe('the release track or release plan admission; for a mark, the admin who made it'),
  stage: z.string().optional().describe("the track's stage that deploys to it"),
  lane: z.enum(['pre-release', 'release', 'hotfix']).optional().describe('the lane of that stage'),
  reason: z.string().optional().describe("a mark's reason"),
  change: z.string().describe('how it changes: the release commands, in a sentence'),
});
export type EnvironmentProtection = z.infer<typeof environmentProtection>;

export const environmentResponse = z.object({
  id: z.string().describe('environment id, used in hostnames'),
  app: z.string(),
  kind: z.enum(['ephemeral', 'permanent']),
  branch: z.string(),
  commit: z.string().optional(),
  status: environmentStatus,
  reason: z.string().optional().describe('why the environment failed or errored'),
  templateVersion: z.string(),
  urls: z.record(z.string(), z.string()),
  expiresAt: z.string().optional(),
  lastActivityAt: z.string().optional().describe('last deploy or request through the router'),
  idleTimeout: z.string().optional().describe('torn down after this long without activity (ephemeral)'),
  idleExpiresAt: z.string().optional().describe('when it will be torn down for idleness unless used before'),
  wakeOnRequest: z.boolean().optional().describe('paused so that the first request to its URLs wakes it'),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastDeploy: deployResponse.optional(),
  instances: z.array(instanceResponse).optional(),
  protectedBy: environmentProtection.optional().describe('present when a release track or admission protects it, or an admin marked it protected: then only releases change it (admins may break glass)'),
});
export type EnvironmentResponse = z.infer<typeof environmentResponse>;

export const environmentListResponse = pageOf(environmentResponse);

/** `POST /api/v1/environments/:id/extend` */
export const extendEnvironmentRequest = z.strictObject({
  ttl: duration.describe('new time to live, counted from now'),
});

/** `POST /api/v1/environments/:id/pause` — the body may be left out. */
export const pauseEnvironmentRequest = z.strictObject({
  wakeOnRequest: z.boolean().optional().describe('the first request to its URLs resumes it: the router holds that request until it is ready (default false: its URLs answer the paused page until it is resumed)'),
});
export type PauseEnvironmentRequest = z.infer<typeof pauseEnvironmentRequest>;

/** `PUT /api/v1/environments/:id/config` — replaces the environment's own variables and re-runs setup. */
export const environmentConfigRequest = z.strictObject({
  variables: envVariables,
});
export const environmentConfigResponse = z.object({
  templateVersion: z.string(),
  variables: z.record(z.string(), z.string()),
});

/** `GET /api/v1/environments/:id/vars` — every service's rendered variables; secrets shown as references. */
export const environmentVarsResponse = z.object({
  services: z.record(z.string(), z.record(z.string(), z.string())),
});

/** `POST /api/v1/environments/:id/deploys` — a patch deploy of a new commit (the branch head when absent). */
export const createDeployRequest = z.strictObject({
  commit: z.string().regex(/^[0-9a-f]{4,40}$/, 'expected a commit sha (hex)').optional(),
});

export const deployListResponse = pageOf(deployResponse);
export const instanceListResponse = pageOf(instanceResponse);

/** `POST /api/v1/environments/:id/instances/:name/exec` */
export const execRequest = z.strictObject({
  command: z.array(z.string().max(10_000)).min(1).max(256),
  timeout: duration.optional(),
});
export const execResponse = z.object({ exitCode: z.number().int().nullable(), output: z.string(), timedOut: z.boolean() });

/** `PUT /api/v1/secrets/:name` */
export const putSecretRequest = z.strictObject({ value: z.string().max(65_536) });
export const secretListResponse = pageOf(z.object({ name: z.string() }));

/** `PUT /api/v1/environments/:id/protection` — an admin marks an environment protected by hand. */
export const protectEnvironmentRequest = z.strictObject({
  reason: z.string().trim().min(1, { message: 'say why the environment is protected, such as "customer demo until Friday"' }).max(500),
});
export const environmentProtectionResponse = z.object({
  envId: z.string(),
  by: z.string().describe('the admin who marked it'),
  reason: z.string(),
  at: z.string(),
  governedBy: z.string().optional().describe('with DELETE: a track or admission that still protects it after the mark is lifted'),
});
export type EnvironmentProtectionResponse = z.infer<typeof environmentProtectionResponse>;
