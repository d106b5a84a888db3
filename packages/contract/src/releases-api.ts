import { z } from 'zod';
import { pageOf } from './pagination.ts';
import { dnsLabel } from './primitives.ts';

// Requests and answers of the application sets, release tracks, snapshots and releases endpoints
// (docs/releases.md). The CLI reads these shapes; the server validates requests with them.

/** The states of a release, and of each stage of it. */
export const releaseStates = ['Pending', 'Deploying', 'Verifying', 'AwaitingApproval', 'Promoted', 'Rejected', 'Failed', 'Errored', 'Aborted'] as const;
export const releaseState = z.enum(releaseStates);
export type ReleaseState = z.infer<typeof releaseState>;

/** release: the set's tracking heads along releaseStages; hotfix: hotfixStages; pre-release: one branch of one application along preReleaseStages; rollback: a stage back to its previous snapshot. */
export const releaseKinds = ['release', 'hotfix', 'pre-release', 'rollback'] as const;
export const releaseKind = z.enum(releaseKinds);
export type ReleaseKind = z.infer<typeof releaseKind>;

const commitSha = z.string().regex(/^[0-9a-f]{4,40}$/, 'expected a commit sha (hex)');
const branchName = z.string().min(1).max(255);

// ---------------------------------------------------------------------------------------------
// Registering ApplicationSets and ReleaseTracks

/** `POST /api/v1/sets` and `/api/v1/tracks`: manifests as files, or a git repository's `.slipway/` at a branch's head. */
export const registerReleaseManifestsRequest = z
  .strictObject({
    files: z
      .array(z.strictObject({ file: z.string().min(1).max(500), text: z.string().max(1_000_000) }))
      .min(1)
      .max(200)
      .optional()
      .describe('manifest files; every document of the endpoint’s kind is registered'),
    repository: z.string().min(1).max(2000).optional().describe("a git repository (path on the server's machine, or URL) whose .slipway/ holds the manifests"),
    branch: branchName.optional().describe("with repository: the branch to read (default: the repository's default branch)"),
  })
  .refine((r) => (r.files === undefined) !== (r.repository === undefined), { message: 'give either "files" or "repository", not both and not neither' });
export type RegisterReleaseManifestsRequest = z.infer<typeof registerReleaseManifestsRequest>;

export const applicationSetResponse = z.object({
  name: z.string(),
  applications: z.array(z.string()).describe('members: those it lists, and applications naming it as parent'),
  releaseTrack: z.string().optional(),
  version: z.string().describe('content hash of the manifest'),
  source: z.string().describe('the commit it was read at, or "api"'),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ApplicationSetResponse = z.infer<typeof applicationSetResponse>;
export const applicationSetListResponse = pageOf(applicationSetResponse);
/** What a POST of manifests registered, in one answer (not a page). */
export const registeredApplicationSetsResponse = z.object({ items: z.array(applicationSetResponse) });

export const gateSummary = z.object({
  healthy: z.boolean(),
  tests: z.array(z.string()),
  soak: z.string().optional(),
  approvals: z.object({ required: z.array(z.object({ role: z.string(), count: z.number().int() })), expireAfter: z.string().optional(), allowAuthor: z.boolean() }).optional(),
  windows: z.array(z.object({ type: z.enum(['allow', 'deny']), schedule: z.string(), duration: z.string(), timezone: z.string() })),
});

export const trackStageResponse = z.object({
  index: z.number().int(),
  name: z.string().describe('the stage name, else its environments joined with "+"'),
  environments: z.array(z.string()),
  gates: gateSummary,
});
export type TrackStageResponse = z.infer<typeof trackStageResponse>;

export const releaseTrackResponse = z.object({
  name: z.string(),
  applicationSet: z.string().optional().describe('the set released along it'),
  preReleaseStages: z.array(trackStageResponse),
  releaseStages: z.array(trackStageResponse),
  hotfixStages: z.array(trackStageResponse),
  version: z.string(),
  source: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ReleaseTrackResponse = z.infer<typeof releaseTrackResponse>;
export const releaseTrackListResponse = pageOf(releaseTrackResponse);
/** What a POST of manifests registered, in one answer (not a page). */
export const registeredReleaseTracksResponse = z.object({ items: z.array(releaseTrackResponse) });

// ---------------------------------------------------------------------------------------------
// Snapshots

/** `POST /api/v1/snapshots` */
export const createSnapshotRequest = z
  .strictObject({
    set: dnsLabel.describe('the application set'),
    kind: z.enum(['release', 'pre-release']).default('release').describe("release: every application at its tracking branch's head; pre-release: one application at a branch or pull request"),
    app: dnsLabel.optional().describe('pre-release: the application'),
    branch: branchName.optional().describe('pre-release: its branch'),
    pullRequest: z.number().int().min(1).optional().describe('pre-release: its pull request (refs/pull/<n>/head)'),
    branches: z.record(dnsLabel, branchName).optional().describe('release: read these applications at these branches instead of their tracking branch'),
    commits: z.record(dnsLabel, commitSha).optional().describe('release: pin these applications to these commits'),
  })
  .superRefine((r, ctx) => {
    if (r.kind === 'pre-release') {
      if (!r.app) ctx.addIssue({ code: 'custom', path: ['app'], message: 'a pre-release snapshot names its application' });
      if ((r.branch === undefined) === (r.pullRequest === undefined)) ctx.addIssue({ code: 'custom', path: ['branch'], message: 'a pre-release snapshot names exactly one of branch or pullRequest' });
      if (r.branches || r.commits) ctx.addIssue({ code: 'custom', path: ['branches'], message: 'branches and commits are for release snapshots; a pre-release takes app and branch (or pullRequest)' });
    } else if (r.app || r.branch || r.pullRequest !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['app'], message: 'app, branch and pullRequest make a pre-release snapshot: add "kind": "pre-release" (or use branches/commits for a release)' });
    }
  });
export type CreateSnapshotRequest = z.input<typeof createSnapshotRequest>;

export const snapshotComponent = z.object({
  app: z.string(),
  commit: z.string().describe('full commit sha'),
  branch: z.string().optional().describe('the branch it was read from'),
  pullRequest: z.number().int().optional(),
  templateVersion: z.string().optional().describe("the application's registered template version when the snapshot was made"),
  imageDigest: z.string().optional().describe('digest of the image built for it, where one was built: the image id when one service has a build, else a sha256 over the service=id lines of `images`'),
  images: z.record(z.string(), z.string()).optional().describe('the image id (sha256:…) built for each service with a build, from the last succeeded deploy of this commit on the docker runtime'),
});
export type SnapshotComponent = z.infer<typeof snapshotComponent>;

export const snapshotResponse = z.object({
  id: z.string().describe('content hash of the set, kind and every component: the same versions are the same snapshot'),
  alias: z.string().describe('a name people can say: 2026.11.23-1'),
  set: z.string(),
  kind: z.enum(['release', 'pre-release']),
  components: z.array(snapshotComponent),
  createdBy: z.string(),
  createdAt: z.string(),
});
export type SnapshotResponse = z.infer<typeof snapshotResponse>;
export const snapshotListResponse = pageOf(snapshotResponse);

// ---------------------------------------------------------------------------------------------
// Releases

/** `POST /api/v1/releases` */
export const createReleaseRequest = z.strictObject({
  snapshot: z.string().min(1).max(100).describe('snapshot id (or a unique prefix of it) or alias'),
  hotfix: z.boolean().default(false).describe('follow the track’s hotfixStages instead of releaseStages'),
  track: dnsLabel.optional().describe("the track to follow; the set's track when absent"),
});
export type CreateReleaseRequest = z.input<typeof createReleaseRequest>;

export const approveReleaseRequest = z.strictObject({ comment: z.string().max(2000).optional() });
export const rejectReleaseRequest = z.strictObject({ reason: z.string().min(1).max(2000).describe('why: kept with the release') });
export const abortReleaseRequest = z.strictObject({ reason: z.string().max(2000).optional() });
export const promoteReleaseRequest = z.strictObject({ reason: z.string().max(2000).optional() });
export const rollbackReleaseRequest = z.strictObject({
  stage: z.string().max(200).optional().describe('the stage (its name or one of its environments) to roll back; the last stage the release entered when absent'),
  reason: z.string().max(2000).optional(),
});

export const gateStatus = z.enum(['passed', 'pending', 'failed', 'blocked', 'not-run']);
export const gateResult = z.object({
  gate: z.enum(['healthy', 'tests', 'soak', 'approvals', 'window']),
  status: gateStatus,
  detail: z.string(),
  until: z.string().optional().describe('when a waiting gate is expected to change (soak end, window opening)'),
});
export type GateResult = z.infer<typeof gateResult>;

export const releaseTargetResponse = z.object({
  app: z.string(),
  environment: z.string().describe("the stage's environment name"),
  envId: z.string().describe('the environment it deploys to'),
  commit: z.string(),
  deployId: z.string().optional(),
  state: z.enum(['pending', 'running', 'succeeded', 'failed', 'errored']),
  reason: z.string().optional(),
});

export const releaseTestResponse = z.object({
  job: z.string(),
  app: z.string().optional(),
  envId: z.string().optional(),
  state: z.enum(['pending', 'running', 'succeeded', 'failed', 'errored']),
  reason: z.string().optional(),
  logTail: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});

export const releaseApprovalResponse = z.object({
  user: z.string(),
  decision: z.enum(['approve', 'reject', 'promote']).describe('promote: someone promoted a stage whose promotion is manual'),
  roles: z.array(z.string()),
  at: z.string(),
  comment: z.string().optional(),
  countsAs: z.string().optional().describe('the required role this approval fills'),
  ignored: z.string().optional().describe('why it does not count (expired, spare)'),
  expiresAt: z.string().optional().describe('when this approval stops counting (the stage has expireAfter)'),
});

export const releaseStageResponse = z.object({
  index: z.number().int(),
  name: z.string(),
  environments: z.array(z.string()),
  state: releaseState,
  reason: z.string().optional(),
  waitingFor: z.string().optional().describe('what the stage waits for now, in words'),
  queuedAt: z.string().optional(),
  enteredAt: z.string().optional(),
  deployedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  targets: z.array(releaseTargetResponse),
  tests: z.array(releaseTestResponse),
  gates: z.array(gateResult),
  approvals: z.array(releaseApprovalResponse),
  missingApprovals: z.array(z.object({ role: z.string(), count: z.number().int() })),
  approvalPolicy: z
    .object({ required: z.array(z.object({ role: z.string(), count: z.number().int() })), expireAfter: z.string().optional(), allowAuthor: z.boolean() })
    .optional()
    .describe("the stage's approval gate as the release follows it: roles, how many of each, expiry"),
});
export type ReleaseStageResponse = z.infer<typeof releaseStageResponse>;

export const releaseTransitionResponse = z.object({
  at: z.string(),
  stage: z.number().int().optional(),
  from: releaseState.optional(),
  to: releaseState,
  actor: z.string(),
  reason: z.string(),
});

export const releaseCommitStatus = z.object({
  state: z.enum(['pending', 'success', 'failure', 'error']),
  description: z.string(),
  context: z.string().describe('slipway/<app>/pre-release'),
  sha: z.string().describe('the commit of the pull request or branch'),
  targetUrl: z.string().optional(),
  repository: z.string().optional().describe('the provider\'s name of the repository (GitHub: owner/name)'),
  reportedTo: z.enum(['github', 'git']).optional().describe('the source provider it was sent to; absent: recorded in the release only'),
  note: z.string().optional().describe('why it was not sent, or what the provider answered when sending failed'),
  at: z.string(),
});
export type ReleaseCommitStatus = z.infer<typeof releaseCommitStatus>;

export const releaseResponse = z.object({
  id: z.string(),
  number: z.number().int().describe('release #n of the workspace'),
  kind: releaseKind,
  track: z.string(),
  set: z.string(),
  snapshot: z.object({ id: z.string(), alias: z.string() }),
  author: z.string(),
  state: releaseState,
  reason: z.string().optional(),
  currentStage: z.number().int().optional(),
  rollbackOf: z.number().int().optional().describe('rollback: the release it rolled back'),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
  commitStatus: releaseCommitStatus.optional().describe('a pre-release: its result as the pull request\'s (or branch\'s) commit status'),
  stages: z.array(releaseStageResponse),
  transitions: z.array(releaseTransitionResponse).optional(),
});
export type ReleaseResponse = z.infer<typeof releaseResponse>;
export const releaseListResponse = pageOf(releaseResponse);

/** Whether the caller may take one action on a release now; when not, the answer the action itself would give. */
export const releaseActionResponse = z.object({
  allowed: z.boolean(),
  reason: z.string().optional().describe('why not: the error message the action answers with'),
  status: z.number().int().optional().describe('the HTTP status the action answers with when not allowed (403, 409)'),
});
export type ReleaseActionResponse = z.infer<typeof releaseActionResponse>;

export const releaseActionsResponse = z.object({
  release: z.number().int(),
  user: z.string().describe('the caller'),
  role: z.string().describe("the caller's role in the workspace"),
  approverRoles: z.array(z.string()).describe('the approver roles the caller holds (built-in roles at or below their own included)'),
  stage: z
    .object({ index: z.number().int(), name: z.string(), state: releaseState })
    .optional()
    .describe('the stage the release stands in (or waits for) now'),
  approve: releaseActionResponse,
  reject: releaseActionResponse,
  promote: releaseActionResponse.describe('by role and state only: promoting still answers 409 when a gate of the stage does not hold'),
  abort: releaseActionResponse,
  rollback: releaseActionResponse
    .extend({
      stages: z
        .array(z.object({ index: z.number().int(), name: z.string(), environments: z.array(z.string()), to: z.object({ release: z.number().int().describe('the release that promoted the version it goes back to'), snapshot: z.string().describe('that version: a snapshot alias') }) }))
        .describe('the stages it may roll back now (POST …/rollback with "stage"), each with the version it would redeploy'),
    })
    .describe('rolling a stage back: by role, and whether an earlier version was promoted to the stage'),
  liftHold: releaseActionResponse
    .extend({
      stage: z
        .object({ index: z.number().int(), name: z.string(), environments: z.array(z.string()).describe('the held environments'), by: z.string().describe('who rolled back'), rollback: z.number().int().optional().describe('the rollback release that holds it') })
        .optional(),
    })
    .describe('promoting the release into the stage a rollback holds, which lifts the hold (POST …/promote); allowed only while the release waits Pending before such a stage'),
  myApproval: z
    .object({ at: z.string(), countsAs: z.string().optional(), ignored: z.string().optional(), expiresAt: z.string().optional() })
    .optional()
    .describe("the caller's latest approval of the current stage: approving again renews it"),
});
export type ReleaseActionsResponse = z.infer<typeof releaseActionsResponse>;

// ---------------------------------------------------------------------------------------------
// A track, stage by stage

export const trackStageReleaseResponse = z.object({
  number: z.number().int(),
  kind: releaseKind,
  snapshot: z.string().describe('alias'),
  state: releaseState,
  current: z.boolean().describe('this is what the stage runs now (the last release deployed there)'),
  gates: z.array(gateResult),
  missingApprovals: z.array(z.object({ role: z.string(), count: z.number().int() })),
  waitingFor: z.string().optional(),
});

export const trackViewStageResponse = trackStageResponse.extend({
  held: z.object({ by: z.string(), at: z.string(), reason: z.string(), release: z.number().int().optional() }).optional().describe('automatic promotion into this stage is held (after a rollback)'),
  releases: z.array(trackStageReleaseResponse),
});

export const trackViewResponse = z.object({
  track: z.string(),
  applicationSet: z.string().optional(),
  lanes: z.array(z.object({ kind: z.enum(['pre-release', 'release', 'hotfix']), stages: z.array(trackViewStageResponse) })),
  actions: z
    .object({
      createRelease: releaseActionResponse.describe('POST /api/v1/releases of a snapshot along releaseStages'),
      startHotfix: releaseActionResponse.describe('POST /api/v1/releases with "hotfix": true, along hotfixStages'),
    })
    .describe('what the caller may start on this track, and when not, the answer the call would give'),
});
export type TrackViewResponse = z.infer<typeof trackViewResponse>;

// ---------------------------------------------------------------------------------------------
// Releasing into a managed workspace: ReleasePlan (development side), ReleasePlanAdmission
// (managed side), managed releases

export const releasePlanResponse = z.object({
  name: z.string(),
  application: z.string().optional(),
  applicationSet: z.string().optional(),
  target: z.string().describe('the managed workspace'),
  autoRelease: z.boolean(),
  data: z.record(z.string(), z.unknown()).optional(),
  version: z.string(),
  source: z.string(),
  updatedAt: z.string(),
});
export type ReleasePlanResponse = z.infer<typeof releasePlanResponse>;
export const releasePlanListResponse = pageOf(releasePlanResponse);
/** What a POST of manifests registered, in one answer (not a page). */
export const registeredReleasePlansResponse = z.object({ items: z.array(releasePlanResponse) });

export const releasePlanAdmissionResponse = z.object({
  name: z.string(),
  origins: z.array(z.object({ workspace: z.string(), applications: z.array(z.string()) })),
  steps: z.array(z.object({ name: z.string(), image: z.string().optional(), timeout: z.string() })),
  secrets: z.array(z.string()).describe('names of the secrets its workflow may read'),
  environments: z.array(z.string()).describe('environments of this workspace it governs: protected, changed only by its releases'),
  policy: z.object({ requirePassedStages: z.boolean(), allowedRegistries: z.array(z.string()), requiredLabels: z.array(z.string()) }),
  block: z.boolean(),
  version: z.string(),
  source: z.string(),
  updatedAt: z.string(),
});
export type ReleasePlanAdmissionResponse = z.infer<typeof releasePlanAdmissionResponse>;
export const releasePlanAdmissionListResponse = pageOf(releasePlanAdmissionResponse);
/** What a POST of manifests registered, in one answer (not a page). */
export const registeredReleasePlanAdmissionsResponse = z.object({ items: z.array(releasePlanAdmissionResponse) });

/** `POST /api/v1/managed-releases` */
export const createManagedReleaseRequest = z.strictObject({
  plan: dnsLabel.describe('the ReleasePlan of this workspace'),
  snapshot: z.string().min(1).max(100).describe('snapshot alias or id'),
  data: z.record(z.string(), z.unknown()).optional().describe("data for the managed workflow; the plan's and then the admission's win over it"),
});
export type CreateManagedReleaseRequest = z.input<typeof createManagedReleaseRequest>;

export const managedReleaseResponse = z.object({
  id: z.string(),
  number: z.number().int().describe('managed release #n of the origin workspace'),
  plan: z.string(),
  origin: z.string().describe('the development workspace'),
  target: z.string().describe('the managed workspace'),
  admission: z.string(),
  snapshot: z.object({ id: z.string(), alias: z.string() }),
  author: z.string().describe('who released it; fixed when it was made'),
  state: releaseState,
  reason: z.string().optional(),
  data: z.record(z.string(), z.unknown()).describe('merged: admission over plan over release'),
  policy: z.array(z.object({ rule: z.string(), passed: z.boolean(), message: z.string() })),
  steps: z.array(
    z.object({
      name: z.string(),
      state: z.enum(['pending', 'running', 'succeeded', 'failed', 'errored', 'skipped']),
      reason: z.string().optional(),
      logTail: z.string().optional(),
      startedAt: z.string().optional(),
      finishedAt: z.string().optional(),
    }),
  ),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
  transitions: z.array(z.object({ at: z.string(), from: releaseState.optional(), to: releaseState, actor: z.string(), reason: z.string() })).optional(),
});
export type ManagedReleaseResponse = z.infer<typeof managedReleaseResponse>;
export const managedReleaseListResponse = pageOf(managedReleaseResponse);
