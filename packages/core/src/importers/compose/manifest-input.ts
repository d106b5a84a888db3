import type {
  buildSpec,
  dependency,
  envMap,
  jobSpec,
  portSpec,
  probe,
  resources,
  serviceSpec,
  volumeSpec,
} from '@slipway/contract';

/**
 * The shapes a person writes in YAML (zod's input types): defaults may be left out. The importer
 * produces these rather than the parsed output types, so its result reads like a hand-written manifest
 * and round-trips through the loader.
 */
type InputOf<T extends { _zod: { input: unknown } }> = T['_zod']['input'];

export type { ApplicationManifestInput } from '@slipway/contract';
export type ServiceInput = InputOf<typeof serviceSpec>;
export type JobInput = InputOf<typeof jobSpec>;
export type BuildInput = InputOf<typeof buildSpec>;
export type PortInput = InputOf<typeof portSpec>;
export type ProbeInput = InputOf<typeof probe>;
export type DependencyInput = InputOf<typeof dependency>;
export type ResourcesInput = InputOf<typeof resources>;
export type VolumeInput = InputOf<typeof volumeSpec>;
export type EnvMapInput = InputOf<typeof envMap>;
