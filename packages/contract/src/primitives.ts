import { z } from 'zod';

/** A lowercase DNS label: what service, job, application and environment names must be, so they fit in hostnames. */
export const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
    message: 'expected a lowercase name of letters, digits and "-" (at most 63, starting and ending with a letter or digit)',
  });

/** Durations are written as a number and a unit: 500ms, 30s, 10m, 2h, 7d. */
export const durationPattern = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
export const duration = z.string().regex(durationPattern, {
  message: 'expected a duration such as 30s, 10m, 2h or 7d',
});

/** Converts a duration written as in {@link duration} to milliseconds. */
export function durationToMs(value: string): number {
  const match = durationPattern.exec(value);
  if (!match) throw new Error(`not a duration: ${value}`);
  const units = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  return Number(match[1]) * units[match[2] as keyof typeof units];
}

export const cpuQuantity = z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?m?$/)], {
  error: 'expected a CPU quantity such as 0.5, 1 or 500m',
});
export const memoryQuantity = z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T|k)?$/, {
  message: 'expected a memory quantity such as 256Mi or 1Gi',
});
export const byteSize = memoryQuantity;

export const portNumber = z
  .number({ error: (iss) => (iss.code === 'invalid_type' ? 'expected a number from 1 to 65535' : undefined) })
  .int({ message: 'expected a whole number from 1 to 65535' })
  .min(1, { message: 'expected a number from 1 to 65535' })
  .max(65535, { message: 'expected a number from 1 to 65535' });

/** A command is a shell string (run with sh -c) or an argument list (run as is). */
export const command = z.union([z.string().min(1), z.array(z.string()).min(1)], {
  error: 'expected a command: a string run by the shell, or a list of arguments',
}).meta({ id: 'Command' });
export type Command = z.infer<typeof command>;

/** A reference to a secret stored in the workspace; its value is never written in a manifest. */
export const secretRef = z.strictObject({
  secret: z.string().min(1).describe('name of a secret stored in the workspace'),
  key: z.string().optional().describe('key within the secret, when it holds several'),
});
export type SecretRef = z.infer<typeof secretRef>;

/** A variable's value: plain text (numbers and booleans are written as text), or a secret reference. */
export const envValue = z.union([z.string(), z.number(), z.boolean(), secretRef], {
  error: 'expected a value (text, number or boolean) or a secret reference { secret: name }',
});
export type EnvValue = z.infer<typeof envValue>;

// Dots and dashes are allowed because programs read such names (Elasticsearch's discovery.type);
// only names of letters, digits and "_" can be read back by ${...} in a mapping.
export const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, {
  message: 'expected a variable name of letters, digits, "_", "." and "-", not starting with a digit',
});
export const envMap = z.record(envVarName, envValue).meta({ id: 'EnvMap' });
export type EnvMap = z.infer<typeof envMap>;

export const labels = z.record(z.string(), z.string());

export const metadata = z.strictObject({
  name: dnsLabel.describe('unique name of this object within its workspace'),
  workspace: dnsLabel.optional().describe('workspace the object belongs to; the server decides when absent'),
  description: z.string().optional(),
  labels: labels.optional(),
  annotations: labels.optional(),
}).meta({ id: 'Metadata' });
export type Metadata = z.infer<typeof metadata>;

/** The `lowops.manifests.v1` format names a parent object in its metadata (an ApplicationSet's ReleaseTrack, an Application's ApplicationSet). */
export const lowopsMetadata = metadata.extend({
  parent: z
    .union([z.string(), z.strictObject({ kind: z.string().optional(), name: z.string() })])
    .optional()
    .describe('the parent object: an Application names its ApplicationSet, an ApplicationSet its ReleaseTrack'),
});
