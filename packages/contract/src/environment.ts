import { z } from 'zod';
import { dnsLabel, envMap, metadata } from './primitives.ts';
import { runtimeName } from './application.ts';

/** A permanent environment declared in git, such as staging or production. */
export const environmentManifest = z.strictObject({
  apiVersion: z.literal('slipway.dev/v1'),
  kind: z.literal('Environment'),
  metadata,
  spec: z.strictObject({
    application: dnsLabel.describe('the application this environment runs'),
    branch: z.string().optional().describe("branch it follows; the application's tracking branch when absent"),
    template: dnsLabel.optional().describe('environment template to apply; one named like this environment, else permanent'),
    autoDeploy: z.boolean().default(false).describe('deploy every push to the branch'),
    env: envMap.optional().describe('variables of this environment only'),
    runtime: runtimeName.optional(),
  }),
});
export type EnvironmentManifest = z.infer<typeof environmentManifest>;
