// The port every runtime (local processes, docker, kubernetes) implements. The workflow engine and
// the server talk to runtimes only through this interface; the conformance suite in
// @slipway/drivers checks every implementation against the same cases.
//
// Shape decisions, and why:
// - Every call is idempotent and converging, because the durable workflow engine re-runs a task
//   after a crash: `apply` brings a service to the desired spec (create missing, replace changed,
//   keep unchanged), `destroy` of something missing succeeds, `runJob` with a run id already
//   completed returns the recorded result instead of running the job again.
// - Results say whose fault a problem is: `failed` is the application's (a build or job exit code,
//   a failing probe, a port the user asked for that is taken), `errored` is the platform's (git
//   missing, disk full, a driver bug). Only unexpected platform faults are thrown; expected
//   outcomes are returned, so callers never parse error messages.
// - Secrets arrive already resolved in a separate map (`SecretValues`) on each call that starts a
//   process; drivers inject them but never write them to logs, state files or labels. Spec hashes
//   cover secret references, not values: bump `revision` to roll a service after a secret changed.
// - Everything a driver creates carries its owner (workspace, application, environment, service),
//   so `listOwned` can enumerate it and `sweep` can remove whatever no live environment owns,
//   including leftovers of a server that was killed.
import type { Command, ResolvedJob, ResolvedService } from '@slipway/contract';

/** Who owns a runtime resource: the environment, identified across the whole server. */
export interface EnvironmentRef {
  workspace: string;
  app: string;
  envId: string;
}

/** Secret values by reference key (see `secretKey`): `name`, or `name/key` for a key within a secret. */
export type SecretValues = Readonly<Record<string, string>>;

/** Where a problem comes from: the application (`failed`) or the platform (`errored`). */
export type DriverOutcome = 'succeeded' | 'failed' | 'errored';

/** An unsuccessful result: whose fault, why, and the end of the relevant log when there is one. */
export interface DriverProblem {
  outcome: 'failed' | 'errored';
  reason: string;
  logTail?: string;
}

export type DriverResult<T> = ({ outcome: 'succeeded' } & T) | DriverProblem;

// ---------------------------------------------------------------------------------------------
// Source

export interface PrepareSourceRequest {
  env: EnvironmentRef;
  /** Git repository: a local path or any URL git understands. */
  repository: string;
  /** Commit (or any revision) to check out; the result names the resolved commit sha. */
  commit: string;
  /** Services whose install and build commands run on the checkout (run.* and static.*). */
  services: ResolvedService[];
  secrets?: SecretValues;
  /**
   * Called with each line of install and build output (and an image build's output) as it is
   * produced, with the service it belongs to; for a deploy's log. Never given a secret value: a
   * line that holds one has it masked.
   */
  onOutput?: (line: string, service: string) => void;
}

export interface PreparedSource {
  /** Full sha of the checked-out commit; later `apply` and `runJob` calls name it. */
  commit: string;
  /** Output folder of each static service, absolute, for the router to serve. */
  staticRoots: Record<string, string>;
  /**
   * The image each service with a `build` runs, by service, content-addressed: its id on the engine
   * (`sha256:…`, docker), or the registry reference it was pushed to, pinned by digest
   * (`registry.example.com/team/shop-web@sha256:…`, kubernetes). Runtimes that build no images
   * leave it out; snapshots record it.
   */
  images?: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Services

export interface ApplyRequest {
  env: EnvironmentRef;
  /** Commit prepared by `prepareSource` that the services run from. */
  commit: string;
  /** Desired services. Without `only`, services of the environment not listed here are removed. */
  services: ResolvedService[];
  /** Converge only these services (a workflow task `services.<name>`); others are left alone. */
  only?: string[];
  secrets?: SecretValues;
  /** Opaque value folded into the spec hash: change it to replace instances whose spec did not change. */
  revision?: string;
  /** Host ports asked for explicitly, by service name (first port of replica 0); taken ones fail the apply. */
  hostPorts?: Record<string, number>;
  /** Return once instances are started (default) or once every instance is ready. */
  waitFor?: 'started' | 'ready';
  /** Longest wait for `waitFor: 'ready'`; a service not ready by then fails the apply. */
  timeoutMs?: number;
  /**
   * The environment's cron jobs, for runtimes that schedule them (kubernetes: CronJobs). Converged
   * by an apply without `only`, which removes those not listed; left as they are when absent.
   */
  cronJobs?: ResolvedJob[];
}

export type ServiceAction = 'created' | 'replaced' | 'updated' | 'unchanged' | 'removed';

export interface ServiceReport {
  service: string;
  /** updated: only the number of replicas changed. */
  action: ServiceAction;
  specHash: string;
  instances: InstanceStatus[];
  /** Static services: the folder the router serves. */
  staticRoot?: string;
}

export type ApplyResult = DriverResult<{ services: ServiceReport[] }>;

export type InstanceState = 'starting' | 'ready' | 'unhealthy' | 'crash-looping' | 'stopped';

/** Names one instance (replica) of a service; `container` picks a sidecar instead of the main process. */
export interface InstanceRef {
  env: EnvironmentRef;
  service: string;
  replica: number;
  container?: string;
}

export interface ExitInfo {
  /** null when the process was killed by a signal or its exit code could not be known (adopted process). */
  code: number | null;
  signal: string | null;
  at: string;
  /** Why the platform stopped it, when it did (a failed liveness probe). */
  reason?: string;
}

export interface InstanceStatus {
  env: EnvironmentRef;
  service: string;
  replica: number;
  /** Stable name of the instance, e.g. api-0, for people and the CLI. */
  name: string;
  state: InstanceState;
  specHash: string;
  /** Manifest port → address the router reaches it at. */
  endpoints: { port: number; host: string; hostPort: number }[];
  /** Runtime id of the running process or container, when there is one. */
  runtimeId?: string;
  startedAt?: string;
  restarts: number;
  lastExit?: ExitInfo;
  /** Why the instance is not ready: a failed probe, an init step's exit, a crash. */
  message?: string;
  /** End of the instance's log, given for crash-looping and unhealthy instances. */
  logTail?: string;
}

// ---------------------------------------------------------------------------------------------
// Jobs

export interface JobRunRequest {
  env: EnvironmentRef;
  /** Identifies this run: a second call with the same id never starts the job again. */
  runId: string;
  commit: string;
  job: ResolvedJob;
  /** The service named by `job.fromService`: the job runs in its checkout folder or image. */
  service?: ResolvedService;
  secrets?: SecretValues;
  /**
   * Called with each line of the job's output as it is produced (a runtime that can only read the
   * output once the job ended gives it then); never with a secret value, which is masked.
   */
  onOutput?: (line: string) => void;
}

export interface JobRun {
  exitCode: number | null;
  logTail: string;
  timedOut: boolean;
  startedAt: string;
  finishedAt: string;
  /** True when this call returned the result of an earlier call with the same run id. */
  recorded: boolean;
}

/** succeeded: exit code 0; failed: another exit code or the timeout; errored: the job could not run. */
export type JobResult = ({ outcome: 'succeeded' } & JobRun) | ({ outcome: 'failed'; reason: string } & JobRun) | ({ outcome: 'errored'; reason: string; logTail?: string });

// ---------------------------------------------------------------------------------------------
// Ownership

export interface OwnedResource {
  env: EnvironmentRef;
  kind: 'process' | 'checkout' | 'job-run' | 'container' | 'network' | 'volume' | 'namespace';
  /** Runtime id: a process id, a folder, a container id. */
  id: string;
  service?: string;
  /** Ownership labels as written on the resource (see `ownerLabels`). */
  labels: Record<string, string>;
}

export interface SweepReport {
  removed: OwnedResource[];
}

export interface LogOptions {
  /** Keep reading new lines as they are written until `signal` aborts. */
  follow?: boolean;
  /** Start with at most this many of the last lines; all kept lines when absent. */
  tail?: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number | null;
  output: string;
  timedOut: boolean;
}

export interface ResumeRequest {
  env: EnvironmentRef;
  /** The secrets the services reference, as `apply` takes them: a driver may have restarted since the pause. */
  secrets?: SecretValues;
  /** Longest wait until every instance is ready; a service not ready by then fails the resume. */
  timeoutMs?: number;
}

/** The environment's instances after a pause (stopped) or a resume (ready). */
export type PauseResult = DriverResult<{ instances: InstanceStatus[] }>;

export interface DestroyRequest {
  env: EnvironmentRef;
  /** Remove only these services' instances; the whole environment (and its checkouts) when absent. */
  services?: string[];
}

// ---------------------------------------------------------------------------------------------
// App Imports

/** An environment taking part in a link, with the names of its services. */
export interface LinkMember {
  env: EnvironmentRef;
  services: string[];
}

export interface LinkRequest {
  /** The importing environment: the link is its own, and goes with it. */
  env: EnvironmentRef;
  /** Its services' names (they need not run yet: services started later join too). */
  services: string[];
  /**
   * The environments it imports, on the same runtime: exactly these are linked to it afterwards (a
   * peer linked before and left out now is detached). Their running services keep running.
   */
  peers: LinkMember[];
}

/** Where the importing environment's services reach a peer's service (its first port). */
export interface PeerAddress {
  env: EnvironmentRef;
  service: string;
  /** A name or address that resolves for the importing environment's services: `api`, `api.backend`, `127.0.0.1`. */
  host: string;
  port: number;
}

export type LinkResult = DriverResult<{ addresses: PeerAddress[] }>;

/** A runtime. Implementations: `local`, `docker`, `kubernetes` in @slipway/drivers. */
export interface RuntimeDriver {
  readonly name: string;
  /**
   * Static sites run as the runtime's own instances (kubernetes: a Deployment of an image of the
   * output), routed like any service's; `prepareSource` gives no static root for them. Absent:
   * the router serves them from the folder `prepareSource` names.
   */
  readonly servesStaticSites?: boolean;
  /** Checks out the commit and runs install and build commands; a failing build is `failed` with its log tail. */
  prepareSource(request: PrepareSourceRequest): Promise<DriverResult<PreparedSource>>;
  /** Converges services to the desired spec; idempotent. */
  apply(request: ApplyRequest): Promise<ApplyResult>;
  /** Runs a job to completion (or its timeout); safe to call again with the same run id. */
  runJob(request: JobRunRequest): Promise<JobResult>;
  /** Every instance of the environment's services, with its state; [] for an unknown environment. */
  instances(env: EnvironmentRef, service?: string): Promise<InstanceStatus[]>;
  /** Lines of an instance's log, oldest first; with `follow`, new lines as they come. */
  logs(instance: InstanceRef, options?: LogOptions): AsyncIterable<string>;
  /** Runs a command in the instance's working directory and environment. */
  exec(instance: InstanceRef, command: Command, options?: { timeoutMs?: number }): Promise<ExecResult>;
  /**
   * App Imports: lets the importing environment's services and its peers' reach each other directly
   * (one network where service names resolve, on runtimes that have networks), and says at which
   * address each peer service is reached from the importer. Idempotent; services started or
   * restarted later are linked too. `destroy` of the importer undoes its links and leaves the peers
   * running; `destroy` of a peer takes it out of every link. Optional: without it, services reach
   * imported ones through the router only.
   */
  link?(request: LinkRequest): Promise<LinkResult>;
  /**
   * Pause: stops every instance of the environment's services and keeps everything they need to
   * start again as they were — records, host ports, volumes, checkouts, images. Idempotent; the
   * services stay stopped (a restarted driver does not start them) until `resume`, or an `apply`,
   * which converges as usual. Optional: a runtime without it cannot pause environments.
   */
  pause?(env: EnvironmentRef): Promise<PauseResult>;
  /** Starts a paused environment's instances again, without running any job, and waits until they are ready. */
  resume?(request: ResumeRequest): Promise<PauseResult>;
  /**
   * Tells `listener` whenever an instance of an environment changes state (became ready, unhealthy,
   * crash-looping or stopped), with the environment: the control plane republishes that
   * environment's routes then, instead of asking every environment's instances on a clock. Returns
   * a function that stops telling. Optional: a runtime without it has its environments' instances
   * asked again every few seconds.
   */
  onInstanceChange?(listener: (env: EnvironmentRef) => void): () => void;
  /** Stops and removes services or the whole environment; removing what does not exist succeeds. */
  destroy(request: DestroyRequest): Promise<void>;
  /** Everything this driver created, with its owner. */
  listOwned(): Promise<OwnedResource[]>;
  /** Removes everything owned by an environment not in `live`. */
  sweep(live: EnvironmentRef[]): Promise<SweepReport>;
  /**
   * Stops supervising and releases the driver's resources, leaving workloads running: a later
   * driver instance on the same state adopts them. Use `destroy` or `sweep` to stop workloads.
   */
  close(): Promise<void>;
}

/** Options every driver factory accepts; drivers extend it with their own. */
export interface DriverFactoryOptions {
  /** Folder where the driver keeps its durable state (records, checkouts, logs). */
  stateDir: string;
}

export type DriverFactory<D extends RuntimeDriver = RuntimeDriver> = (options: DriverFactoryOptions) => D;

