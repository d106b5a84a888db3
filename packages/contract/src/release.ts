import { z } from 'zod';
import { dnsLabel, duration, envMap, lowopsMetadata, metadata, command } from './primitives.ts';

export const applicationSetSpec = z.strictObject({
  applications: z.array(dnsLabel).default([]).describe('applications released together'),
  releaseTrack: dnsLabel.optional().describe('the ReleaseTrack this set follows'),
});

export const applicationSetManifest = z.strictObject({
  apiVersion: z.literal('slipway.dev/v1'),
  kind: z.literal('ApplicationSet'),
  metadata,
  spec: applicationSetSpec,
});
export type ApplicationSetManifest = z.infer<typeof applicationSetManifest>;

/** In lowops.manifests.v1 the members name the set as their parent; a spec is optional. */
export const lowopsApplicationSetManifest = z.strictObject({
  apiVersion: z.literal('lowops.manifests.v1'),
  kind: z.literal('ApplicationSet'),
  metadata: lowopsMetadata,
  spec: applicationSetSpec.default({ applications: [] }),
});

export const approvalRequirement = z.strictObject({
  role: dnsLabel.describe('a role whose members may approve, e.g. qa, product, security'),
  count: z.number().int().min(1).default(1).describe('how many distinct members of the role must approve'),
});

export const promotionWindow = z.strictObject({
  type: z.enum(['allow', 'deny']),
  schedule: z
    .string()
    .regex(/^(\S+\s+){4}\S+$/, { message: 'expected a cron schedule of five fields (minute hour day month weekday)' })
    .describe('when the window opens'),
  duration: duration.describe('how long it stays open'),
  timezone: z.string().default('UTC'),
});

export const stageGates = z.strictObject({
  healthy: z.boolean().default(true).describe('the deploy finished and every service is ready'),
  tests: z.array(dnsLabel).default([]).describe("jobs of the applications run in the stage's environments; all must pass"),
  soak: duration.optional().describe('time the release must stay healthy in the stage'),
  approvals: z
    .strictObject({
      required: z.array(approvalRequirement).min(1),
      expireAfter: duration.optional().describe('an approval older than this no longer counts'),
      allowAuthor: z.boolean().default(false).describe("may the release's author approve it (off: no self-approval)"),
    })
    .optional(),
  windows: z.array(promotionWindow).default([]).describe('when promotion out of this stage may happen'),
});
export type StageGates = z.infer<typeof stageGates>;

export const releaseStage = z.strictObject({
  name: dnsLabel.optional(),
  environments: z.array(dnsLabel).min(1, { message: 'a stage needs at least one environment' }),
  gates: stageGates.optional().describe('what must hold before the release leaves this stage'),
  promotion: z
    .enum(['automatic', 'manual'])
    .optional()
    .describe('automatic (the default): the release leaves the stage as soon as every gate holds; manual: it then waits until someone with the promote verb promotes it (slipway releases promote)'),
}).meta({ id: 'ReleaseStage' });
export type ReleaseStage = z.infer<typeof releaseStage>;

export const releaseTrackSpec = z.strictObject({
  applicationSet: dnsLabel.optional(),
  preReleaseStages: z.array(releaseStage).default([]).describe('path for validating a single pull request'),
  releaseStages: z.array(releaseStage).default([]).describe('path for full, versioned releases'),
  hotfixStages: z.array(releaseStage).default([]).describe('accelerated path for emergency fixes'),
}).meta({ id: 'ReleaseTrackSpec' });
export type ReleaseTrackSpec = z.infer<typeof releaseTrackSpec>;

export const releaseTrackManifest = z.strictObject({
  apiVersion: z.literal('slipway.dev/v1'),
  kind: z.literal('ReleaseTrack'),
  metadata,
  spec: releaseTrackSpec,
});
export type ReleaseTrackManifest = z.infer<typeof releaseTrackManifest>;

export const lowopsReleaseTrackManifest = z.strictObject({
  apiVersion: z.literal('lowops.manifests.v1'),
  kind: z.literal('ReleaseTrack'),
  metadata: lowopsMetadata,
  spec: releaseTrackSpec,
});

export const releasePlanManifest = z.strictObject({
  apiVersion: z.literal('slipway.dev/v1'),
  kind: z.literal('ReleasePlan'),
  metadata,
  spec: z
    .strictObject({
      application: dnsLabel.optional(),
      applicationSet: dnsLabel.optional(),
      target: dnsLabel.describe('the managed workspace releases go to'),
      autoRelease: z.boolean().default(false).describe('release every snapshot that passes the track automatically'),
      data: z.record(z.string(), z.unknown()).optional().describe('data for the managed workflow; the admission\'s data wins'),
    })
    .superRefine((value, ctx) => {
      if ((value.application === undefined) === (value.applicationSet === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'a release plan names exactly one of application or applicationSet' });
      }
    }),
});
export type ReleasePlanManifest = z.infer<typeof releasePlanManifest>;

export const releasePlanAdmissionManifest = z.strictObject({
  apiVersion: z.literal('slipway.dev/v1'),
  kind: z.literal('ReleasePlanAdmission'),
  metadata,
  spec: z.strictObject({
    origins: z
      .array(
        z.strictObject({
          workspace: dnsLabel.describe('a development workspace allowed to release here'),
          applications: z.array(dnsLabel).min(1).describe('its applications (or application sets) accepted'),
        }),
      )
      .min(1),
    workflow: z
      .strictObject({
        steps: z
          .array(
            z.strictObject({
              name: dnsLabel,
              image: z.string().optional(),
              command,
              env: envMap.optional(),
              timeout: duration.default('30m'),
            }),
          )
          .min(1),
      })
      .describe('what runs, with this workspace\'s secrets, for each admitted release'),
    secrets: z.array(z.string()).default([]).describe('secrets of this workspace the workflow may read'),
    environments: z.array(dnsLabel).default([]).describe('environments of this workspace that admitted releases deploy to: protected, changed only by a managed release (or an admin breaking glass)'),
    policy: z
      .strictObject({
        requirePassedStages: z.boolean().default(true).describe("the snapshot passed the track's earlier stages"),
        allowedRegistries: z.array(z.string()).default([]).describe('images must come from these registries (none: any)'),
        requiredLabels: z.array(z.string()).default([]).describe('labels the snapshot must carry'),
      })
      .default({ requirePassedStages: true, allowedRegistries: [], requiredLabels: [] }),
    block: z.boolean().default(false).describe('refuse every release while true'),
    data: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ReleasePlanAdmissionManifest = z.infer<typeof releasePlanAdmissionManifest>;
