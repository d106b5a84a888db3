import type { ApplicationManifestInput } from '@slipway/contract';

export type { ApplicationManifestInput };

/**
 * The Application manifest as a user writes it: fields with defaults are optional. The importer
 * returns this shape (not the parsed one) so the result can be written out as YAML without every
 * default spelled out. Taken from the schema's own input type so it cannot drift from it.
 */
export type ApplicationSpecInput = ApplicationManifestInput['spec'];
export type ServiceInput = ApplicationSpecInput['services'][number];
export type JobInput = NonNullable<ApplicationSpecInput['jobs']>[number];
export type CronJobInput = NonNullable<ApplicationSpecInput['cronJobs']>[number];
export type PortInput = NonNullable<ServiceInput['ports']>[number];
export type ProbeInput = NonNullable<ServiceInput['readiness']>;
export type ResourcesInput = NonNullable<ServiceInput['resources']>;
export type VolumeInput = NonNullable<ServiceInput['volumes']>[number];
export type InitContainerInput = NonNullable<ServiceInput['initContainers']>[number];
export type SidecarInput = NonNullable<ServiceInput['sidecars']>[number];
export type BuildInput = NonNullable<ServiceInput['build']>;
export type StaticInput = NonNullable<ServiceInput['static']>;
export type EnvMapInput = NonNullable<ServiceInput['env']>;
export type EnvValueInput = EnvMapInput[string];
export type WorkflowsInput = NonNullable<ApplicationSpecInput['workflows']>;
export type WorkflowInput = NonNullable<WorkflowsInput['setup']>;
export type WorkflowStepInput = WorkflowInput['steps'][number];
export type RouteRuleInput = NonNullable<NonNullable<ApplicationSpecInput['routing']>['rules']>[number];
export type IngressInput = NonNullable<ServiceInput['ingress']>;
export type EnvironmentTemplateInput = NonNullable<ApplicationSpecInput['environmentTemplates']>[number];
export type ServiceOverrideInput = NonNullable<EnvironmentTemplateInput['services']>[number];
export type JobOverrideInput = NonNullable<EnvironmentTemplateInput['jobs']>[number];
export type AppImportInput = NonNullable<ApplicationSpecInput['appImports']>[number];
export type DatasetInput = NonNullable<ApplicationSpecInput['datasets']>[number];
export type CommandInput = NonNullable<ServiceInput['command']>;
