import { z } from 'zod';
import { applicationManifest, lowopsApplicationManifest, type ApplicationManifest } from './application.ts';
import { environmentManifest, type EnvironmentManifest } from './environment.ts';
import {
  applicationSetManifest,
  lowopsApplicationSetManifest,
  lowopsReleaseTrackManifest,
  releasePlanAdmissionManifest,
  releasePlanManifest,
  releaseTrackManifest,
  type ApplicationSetManifest,
  type ReleasePlanAdmissionManifest,
  type ReleasePlanManifest,
  type ReleaseTrackManifest,
} from './release.ts';

export const SLIPWAY_API_VERSION = 'slipway.dev/v1';
export const LOWOPS_API_VERSION = 'lowops.manifests.v1';
export const apiVersions = [SLIPWAY_API_VERSION, LOWOPS_API_VERSION] as const;
export type ApiVersion = (typeof apiVersions)[number];

export const manifestKinds = [
  'Application',
  'ApplicationSet',
  'ReleaseTrack',
  'Environment',
  'ReleasePlan',
  'ReleasePlanAdmission',
] as const;
export type ManifestKind = (typeof manifestKinds)[number];

/** The schema of every (apiVersion, kind) pair Slipway reads. */
export const manifestSchemas: Record<ApiVersion, Partial<Record<ManifestKind, z.ZodType>>> = {
  [SLIPWAY_API_VERSION]: {
    Application: applicationManifest,
    ApplicationSet: applicationSetManifest,
    ReleaseTrack: releaseTrackManifest,
    Environment: environmentManifest,
    ReleasePlan: releasePlanManifest,
    ReleasePlanAdmission: releasePlanAdmissionManifest,
  },
  [LOWOPS_API_VERSION]: {
    Application: lowopsApplicationManifest,
    ApplicationSet: lowopsApplicationSetManifest,
    ReleaseTrack: lowopsReleaseTrackManifest,
  },
};

/** A manifest after loading. lowops.manifests.v1 documents keep their apiVersion and may carry metadata.parent. */
export type Manifest =
  | ApplicationManifest
  | ApplicationSetManifest
  | ReleaseTrackManifest
  | EnvironmentManifest
  | ReleasePlanManifest
  | ReleasePlanAdmissionManifest;

export type ManifestOfKind<K extends ManifestKind> = Extract<Manifest, { kind: K }>;

/**
 * JSON Schema (draft-07) of one kind, accepting both apiVersions where both exist, for editors
 * (yaml-language-server) to complete and check manifests with.
 */
export function jsonSchemaOf(kind: ManifestKind): Record<string, unknown> {
  const variants = apiVersions.map((v) => manifestSchemas[v][kind]).filter((s): s is z.ZodType => s !== undefined);
  const schema = variants.length === 1 ? variants[0]! : z.union(variants as [z.ZodType, z.ZodType]);
  const json = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: json.$schema,
    $id: `https://slipway.dev/schema/v1/${kind.toLowerCase()}.json`,
    title: `Slipway ${kind}`,
    ...Object.fromEntries(Object.entries(json).filter(([k]) => k !== '$schema')),
  };
}

/** One schema that accepts any Slipway manifest, dispatching on kind. */
export function jsonSchemaOfAll(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://slipway.dev/schema/v1/manifest.json',
    title: 'Slipway manifest',
    oneOf: manifestKinds.map((kind) => ({ $ref: `./${kind.toLowerCase()}.json` })),
  };
}
