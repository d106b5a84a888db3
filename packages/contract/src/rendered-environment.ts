import type {
  AppImport,
  BuildSpec,
  DatasetRef,
  InitContainer,
  PortSpec,
  Probe,
  Resources,
  RunSpec,
  RuntimeName,
  Sidecar,
  StaticSpec,
  VolumeSpec,
  WorkflowName,
} from './application.ts';
import type { Command, SecretRef } from './primitives.ts';

export type EnvironmentKind = 'ephemeral' | 'permanent';

/** What the renderer needs to know about the environment being made. */
export interface EnvironmentIdentity {
  /** Used in hostnames: pr-42, main, staging. */
  id: string;
  kind: EnvironmentKind;
  /** The environment template to apply; `ephemeral`/`permanent` by kind when absent. */
  template?: string;
  branch: string;
  commit?: string;
}

/** Server settings the renderer needs. */
export interface RenderSettings {
  /** Base domain of hostnames, e.g. slipway.localhost. */
  domain: string;
  /** URL scheme the router serves (http until TLS is on). */
  scheme: 'http' | 'https';
  /** Port the router listens on, when not the scheme's default; it appears in URLs. */
  routerPort?: number;
  defaultRuntime: RuntimeName;
}

/** A variable after rendering: plain text, or a secret to resolve at deploy time (never rendered in clear). */
export type ResolvedEnvValue = string | SecretRef;

export interface ResolvedDependency {
  name: string;
  kind: 'service' | 'job';
  condition: 'started' | 'ready' | 'completed';
}

export interface ResolvedIngress {
  public: boolean;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxBodyBytes: number;
}

export interface ResolvedService {
  name: string;
  image?: string;
  build?: BuildSpec;
  run?: RunSpec;
  static?: StaticSpec;
  command?: Command;
  args?: string[];
  ports: PortSpec[];
  env: Record<string, ResolvedEnvValue>;
  dependsOn: ResolvedDependency[];
  readiness?: Probe;
  liveness?: Probe;
  initContainers: InitContainer[];
  sidecars: Sidecar[];
  replicas: number;
  resources?: Resources;
  volumes: VolumeSpec[];
  /** Resolved hostnames routed to this service. */
  hostnames: string[];
  ingress: ResolvedIngress;
}

export interface ResolvedJob {
  name: string;
  fromService?: string;
  image?: string;
  command: Command;
  env: Record<string, ResolvedEnvValue>;
  timeoutMs: number;
  haltOnError: boolean;
  dependsOn: ResolvedDependency[];
  resources?: Resources;
  /** Cron jobs only. */
  schedule?: string;
  concurrency?: 'allow' | 'forbid' | 'replace';
}

export type ResolvedTask =
  | { kind: 'service'; name: string }
  | { kind: 'job'; name: string }
  | { kind: 'remove-environment' };

export interface ResolvedStep {
  name: string;
  tasks: ResolvedTask[];
  waitForFinish: boolean;
  haltOnError: boolean;
}

export interface ResolvedRoute {
  host: string;
  /** Path prefix, "/" for the whole host. */
  pathPrefix: string;
  service: string;
  /** The service's port the route reaches (the manifest's port; the runtime maps it). */
  port?: number;
  /** Served by the router from the service's static output folder. */
  static: boolean;
  stripPrefix: boolean;
  ingress: ResolvedIngress;
}

/** The fully resolved environment spec: what the workflow engine and drivers act on. */
export interface RenderedEnvironment {
  app: string;
  envId: string;
  kind: EnvironmentKind;
  template: string;
  branch: string;
  commit?: string;
  domain: string;
  runtime: RuntimeName;
  /** Ephemeral only: time to live in milliseconds from creation. */
  ttlMs?: number;
  /** Ephemeral only: torn down after this long without a deploy or a request. */
  idleTimeoutMs?: number;
  /** Most ephemeral environments of the application at once. */
  maxEnvironments?: number;
  services: ResolvedService[];
  jobs: ResolvedJob[];
  cronJobs: ResolvedJob[];
  routes: ResolvedRoute[];
  workflows: Record<WorkflowName, ResolvedStep[]>;
  appImports: AppImport[];
  datasets: DatasetRef[];
  /** URL of each service with a hostname, by service name. */
  urls: Record<string, string>;
}
