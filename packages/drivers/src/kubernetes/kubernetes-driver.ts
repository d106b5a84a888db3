// The `kubernetes` runtime: each environment is a namespace on a cluster, its services Deployments
// (with Services in front), its jobs Jobs, its secret variables Secret objects, all written with
// server-side apply under one field manager and labelled with Slipway's ownership labels. The
// cluster is the record of what runs: a driver started after close() or a crash reads everything
// back from labels, Job names are derived from run ids so a run is created once, and the orphan
// sweep finds labelled namespaces whose environment no longer exists. Under `stateDir` only git
// mirrors and checkouts (to resolve commits, and as build contexts) and build logs are kept.
//
// Images: a service with `build` is built by the engine the docker runtime uses, with its code
// (docker/images.ts: same tags, same reuse of an unchanged context), tagged under the configured
// registry prefix, pushed (docker/image-push.ts), and named by the registry's digest, so a
// Deployment whose image did not change is not touched. Cron jobs are CronJobs.
//
// Routing: an instance's endpoint is its Service — `<service>.<namespace>.svc.<cluster domain>` on
// the service's port for a router inside the cluster (the default), or `<node address>:<node port>`
// when `exposure: 'node-port'`, for a router outside it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  Exec,
  KubeConfig,
  KubernetesObjectApi,
  Log,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  type V1Pod,
} from '@kubernetes/client-node';
import type Dockerode from 'dockerode';
import type { BuildSpec, Command, ResolvedJob, ResolvedService } from '@slipway/contract';
import {
  environmentKey,
  labelKeys,
  notReadyReasons,
  ownerFromLabels,
  ownerLabels,
  sameEnvironment,
  serviceReadiness,
  serviceVariableSets,
  specHash,
  type ApplyRequest,
  type ApplyResult,
  type DestroyRequest,
  type DriverFactoryOptions,
  type DriverProblem,
  type DriverResult,
  type EnvironmentRef,
  type ExecResult,
  type InstanceRef,
  type InstanceState,
  type InstanceStatus,
  type JobResult,
  type JobRunRequest,
  type LinkRequest,
  type LinkResult,
  type LogOptions,
  type OwnedResource,
  type PreparedSource,
  type PrepareSourceRequest,
  type RuntimeDriver,
  type ServiceReport,
  type SweepReport,
} from '@slipway/core';
import { ensureWorktree, GitError, mirrorWithCommit } from '../shared/git-source.ts';
import { JobRunsInFlight } from '../shared/job-runs-in-flight.ts';
import { KeyedQueue } from '../shared/keyed-queue.ts';
import { problem } from '../shared/driver-problem.ts';
import { secretMasker } from '../shared/output-lines.ts';
import { containerArgv } from '../shared/process-group.ts';
import { buildStaticSite, staticOutputFolder } from '../shared/static-site-build.ts';
import { connectDockerEngine } from '../docker/engine.ts';
import { buildHash, buildTag, ensureBuilt } from '../docker/images.ts';
import { pushImage, registryOf, type RegistryAuth } from '../docker/image-push.ts';
import {
  cronJobObject,
  cronJobObjectName,
  cronJobSecretName,
  deploymentObject,
  FIELD_MANAGER,
  jobObject,
  jobObjectName,
  kubeLabels,
  namespaceName,
  namespaceObject,
  REGISTRY_PULL_SECRET,
  registryPullSecretObject,
  secretData,
  secretObject,
  serviceObject,
  serviceSecretName,
  staticSiteService,
  unmappable,
  volumeClaimObject,
  type KubeObject,
  type HostMount,
  type ServiceExposure,
} from './objects.ts';
import { DEFAULT_STATIC_SERVER_IMAGE, prepareStaticSiteContext } from './static-site-image.ts';

export interface KubernetesDriverOptions extends DriverFactoryOptions {
  /** Path of the kubeconfig; KUBECONFIG or ~/.kube/config, else the in-cluster service account, when absent. */
  kubeconfig?: string;
  /** Context of the kubeconfig to use; its current context when absent. */
  context?: string;
  /** First part of every namespace's name; `slipway` by default. */
  namespacePrefix?: string;
  /** Storage class of persistent volumes' claims; the cluster's default when absent. */
  storageClass?: string;
  /**
   * Prefix of the images built for services with `build` (a registry and path the cluster pulls
   * from), e.g. registry.example.com/team: images are pushed as <prefix>/<app>-<service>:<commit12>-<build hash>.
   */
  imageRegistry?: string;
  /** Credentials for pushing to `imageRegistry`; with them every namespace also gets a pull Secret its pods use. */
  registryAuth?: RegistryAuth;
  /** Push over plain HTTP / without verifying the registry's certificate (Podman's tlsVerify=false). */
  registryInsecure?: boolean;
  /** Write the `slipway-registry` pull Secret from `registryAuth` into each namespace; true by default. */
  registryPullSecret?: boolean;
  /** The engine that builds and pushes images; DOCKER_HOST, else the usual sockets, on the first build when absent. */
  docker?: Dockerode;
  /** Longest image build (and static site build step); 30 minutes by default. */
  buildTimeoutMs?: number;
  /** The image static sites are served from: one with busybox's httpd; docker.io/library/busybox:1.37 by default. */
  staticServerImage?: string;
  /**
   * How the router reaches services: by Service DNS from inside the cluster (default), on node ports
   * from outside, or at each pod's IP from a network that routes pod IPs (one node's bridge, a flat
   * VPC network such as the AWS VPC CNI's).
   */
  exposure?: ServiceExposure;
  /** Node folders mounted into every container (hostPath volumes): for one-node clusters such as the tests'. */
  hostMounts?: HostMount[];
  /** With `exposure: 'node-port'`: the address of a node the router reaches; 127.0.0.1 by default. */
  nodeAddress?: string;
  /** The cluster's DNS domain; cluster.local by default. */
  clusterDomain?: string;
  /** Tells this driver's namespaces from another's on the same cluster; `slipway` by default. */
  ownerTag?: string;
  /** Longest wait for a namespace to be gone after its deletion; 120 s by default. */
  namespaceDeleteTimeoutMs?: number;
  /** How long an unreachable API server is retried before a call gives up; 60 s by default. */
  unreachableRetryMs?: number;
}

/** Waiting-reasons of a container that mean it will not start without a change: reported at once. */
const STUCK_REASONS = new Set(['CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface ApiFailure {
  status: number;
  reason: string;
  message: string;
}

/** The API server's own status of a failed call (its reason and message), or the transport error. */
export function apiFailure(error: unknown): ApiFailure {
  const e = error as { code?: unknown; body?: unknown; message?: string };
  if (typeof e?.code === 'number') {
    let body: { reason?: string; message?: string } = {};
    try {
      body = typeof e.body === 'string' ? (JSON.parse(e.body) as typeof body) : ((e.body as typeof body) ?? {});
    } catch {
      body = { message: String(e.body) };
    }
    return { status: e.code, reason: body.reason ?? '', message: body.message ?? e.message ?? 'no message' };
  }
  return { status: 0, reason: 'Unreachable', message: (error as Error)?.message ?? String(error) };
}

const isStatus = (error: unknown, status: number) => apiFailure(error).status === status;

/** An API server that does not answer (connection refused, reset, timed out), as opposed to one that answers no. */
function unreachable(error: unknown): boolean {
  const f = apiFailure(error);
  return f.status === 0 || f.status === 502 || f.status === 503 || f.status === 504;
}

export class KubernetesDriver implements RuntimeDriver {
  readonly name = 'kubernetes';
  /** Static sites run as Deployments of their own image, reached through their Service like any service. */
  readonly servesStaticSites = true;
  private readonly kc = new KubeConfig();
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly batch: BatchV1Api;
  private readonly objects: KubernetesObjectApi;
  private readonly prefix: string;
  private readonly tag: string;
  private readonly exposure: ServiceExposure;
  private readonly locks = new KeyedQueue();
  private readonly jobRuns = new JobRunsInFlight();
  /** Pushed images by registry tag: a build pushed once is named by its digest for the rest of the driver's life. */
  private readonly pushed = new Map<string, Promise<PushedImage>>();
  private engine?: Promise<Dockerode>;
  private closed = false;

  constructor(private readonly options: KubernetesDriverOptions) {
    if (options.kubeconfig) this.kc.loadFromFile(options.kubeconfig);
    else this.kc.loadFromDefault();
    if (options.context) this.kc.setCurrentContext(options.context);
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.apps = this.kc.makeApiClient(AppsV1Api);
    this.batch = this.kc.makeApiClient(BatchV1Api);
    this.objects = KubernetesObjectApi.makeApiClient(this.kc);
    this.prefix = options.namespacePrefix ?? 'slipway';
    this.tag = options.ownerTag ?? 'slipway';
    this.exposure = options.exposure ?? 'cluster-ip';
    mkdirSync(options.stateDir, { recursive: true });
  }

  private namespace(env: EnvironmentRef): string {
    return namespaceName(this.prefix, env);
  }

  private dir(...parts: string[]): string {
    return join(this.options.stateDir, ...parts);
  }

  /** Runs an API call, retrying while the API server is unreachable (up to `unreachableRetryMs`). */
  private async call<T>(run: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + (this.options.unreachableRetryMs ?? 60_000);
    let wait = 250;
    for (;;) {
      try {
        return await run();
      } catch (error) {
        if (!unreachable(error) || Date.now() > deadline || this.closed) throw error;
        await sleep(wait);
        wait = Math.min(wait * 2, 5_000);
      }
    }
  }

  private async apply1(object: KubeObject): Promise<void> {
    await this.call(() => this.objects.patch(object as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply));
  }

  /** An API failure as a driver problem: a verdict of the API server (forbidden, invalid, quota) is `failed`, anything else `errored`. */
  private apiProblem(what: string, error: unknown): DriverProblem {
    const f = apiFailure(error);
    if (f.status === 0 || f.status >= 500) return problem('errored', `${what}: the Kubernetes API server did not answer (${f.message})`);
    return problem('failed', `${what}: the Kubernetes API refused it (${f.status}${f.reason ? ` ${f.reason}` : ''}): ${f.message}`);
  }

  // ---------------------------------------------------------------------------------------------
  // Source

  async prepareSource(request: PrepareSourceRequest): Promise<DriverResult<PreparedSource>> {
    let sha: string;
    try {
      const found = await this.locks.run(`repo:${request.repository}`, () => mirrorWithCommit(this.dir('repos'), request.repository, request.commit));
      sha = found.sha;
      const checkout = this.dir('checkouts', environmentKey(request.env), sha);
      await this.locks.run(`checkout:${checkout}`, () => ensureWorktree(found.mirror, checkout, sha));
    } catch (error) {
      if (error instanceof GitError) return problem('failed', error.message);
      return problem('errored', `checking out ${request.commit}: ${(error as Error).message}`);
    }
    for (const service of request.services) {
      const refused = unmappable(service);
      if (refused) return problem('failed', `${refused.path}: ${refused.message}`);
      if (service.build && !service.image && !this.options.imageRegistry) {
        return problem(
          'failed',
          `services.${service.name}: the kubernetes runtime pushes the images it builds to a registry the cluster pulls from, and none is configured: set SLIPWAY_KUBE_IMAGE_REGISTRY (the runtime's imageRegistry), or build and push the image with your CI and give the service that image`,
        );
      }
      if (service.static && !this.options.imageRegistry) {
        return problem(
          'failed',
          `services.${service.name}.static: the kubernetes runtime serves a static site from an image of its output that it pushes to a registry the cluster pulls from, and none is configured: set SLIPWAY_KUBE_IMAGE_REGISTRY (the runtime's imageRegistry)`,
        );
      }
    }
    // Static sites are built on this machine first, as on the other runtimes, one after another.
    for (const service of request.services.filter((s) => s.static)) {
      const built = await buildStaticSite(request, sha, service, { stateDir: this.options.stateDir, checkout: this.dir('checkouts', environmentKey(request.env), sha), timeoutMs: this.options.buildTimeoutMs ?? 30 * 60_000 });
      if (built) return built;
    }
    // Built and pushed side by side: a service's build does not wait for another's.
    const images: Record<string, string> = {};
    const onOutput = request.onOutput;
    // The registry's password too: a registry's refusal never echoes it, but nothing it says is trusted to.
    const mask = secretMasker({ ...request.secrets, ...(this.options.registryAuth ? { '\u0000registry': this.options.registryAuth.password } : {}) });
    const results = await Promise.all(
      request.services.map(async (service) => {
        if ((!service.build && !service.static) || !this.options.imageRegistry) return undefined;
        const output = onOutput ? (line: string) => onOutput(mask(line), service.name) : undefined;
        const pushed = service.static ? await this.staticImage(request.env, service, sha, output) : await this.builtImage(request.env, service, sha, output);
        if (pushed.ok) images[service.name] = pushed.reference;
        return pushed;
      }),
    );
    const failed = results.find((r): r is Extract<PushedImage, { ok: false }> => r !== undefined && !r.ok);
    if (failed) return problem(failed.outcome, failed.reason, failed.logTail);
    return { outcome: 'succeeded', commit: sha, staticRoots: {}, ...(Object.keys(images).length ? { images } : {}) };
  }

  private dockerEngine(): Promise<Dockerode> {
    this.engine ??= this.options.docker ? Promise.resolve(this.options.docker) : connectDockerEngine().then((e) => e.docker);
    // A failed look is not kept: an engine started later is found by the next build.
    this.engine.catch(() => (this.engine = undefined));
    return this.engine;
  }

  /**
   * A service's build, as the docker runtime builds it (same tag, same reuse of an unchanged
   * context), pushed to the registry prefix and named by digest.
   */
  private async builtImage(env: EnvironmentRef, spec: ResolvedService, commit: string, onOutput?: (line: string) => void): Promise<PushedImage> {
    const what = `services.${spec.name}`;
    const build = spec.build!;
    const hashed = await buildHash(this.dir('checkouts', environmentKey(env), commit), build);
    if ('error' in hashed) return { ok: false, outcome: 'failed', reason: `${what}: at ${commit.slice(0, 7)}, ${hashed.error}` };
    return this.buildAndPush(env, spec, commit, { hash: hashed.hash, contextDir: hashed.contextDir, build }, onOutput);
  }

  /** A static site's output (built by prepareSource) packed into an image on busybox's httpd, pushed and named by digest. */
  private async staticImage(env: EnvironmentRef, spec: ResolvedService, commit: string, onOutput?: (line: string) => void): Promise<PushedImage> {
    const what = `services.${spec.name}`;
    const output = staticOutputFolder(this.dir('checkouts', environmentKey(env), commit), spec);
    if (!output) return { ok: false, outcome: 'failed', reason: `${what}: the static output folder "${spec.static!.output}" does not exist after the build` };
    const contextDir = this.dir('static-images', environmentKey(env), `${commit.slice(0, 12)}-${spec.name}`);
    const hash = prepareStaticSiteContext(output, contextDir, this.options.staticServerImage ?? DEFAULT_STATIC_SERVER_IMAGE, spec.static!);
    return this.buildAndPush(env, spec, commit, { hash, contextDir, build: { context: `${spec.static!.output} (static site)`, dockerfile: 'Dockerfile' } }, onOutput);
  }

  /** Builds (or reuses) the image of a context and pushes it under the registry prefix; once per build tag for the driver's life. */
  private buildAndPush(env: EnvironmentRef, spec: ResolvedService, commit: string, source: { hash: string; contextDir: string; build: BuildSpec }, onOutput?: (line: string) => void): Promise<PushedImage> {
    const what = `services.${spec.name}`;
    const local = buildTag(env.app, spec.name, commit, source.hash);
    const target = `${this.options.imageRegistry!.replace(/\/+$/, '')}/${local.slice('slipway/'.length)}`;
    const known = this.pushed.get(target);
    if (known) return known;
    const pushing = (async (): Promise<PushedImage> => {
      let docker: Dockerode;
      try {
        docker = await this.dockerEngine();
      } catch (error) {
        return { ok: false, outcome: 'errored', reason: `${what} build: the kubernetes runtime builds images with a Docker or Podman engine, and ${(error as Error).message}` };
      }
      const built = await ensureBuilt(docker, {
        tag: local,
        hash: source.hash,
        contextDir: source.contextDir,
        build: source.build,
        logPath: this.dir('logs', environmentKey(env), 'builds', `${commit.slice(0, 12)}-${spec.name}.log`),
        labels: { [labelKeys.app]: env.app, [labelKeys.service]: spec.name },
        ...(this.options.buildTimeoutMs !== undefined ? { timeoutMs: this.options.buildTimeoutMs } : {}),
        what: `${what} build`,
        ...(onOutput ? { onOutput } : {}),
      });
      if (!built.ok) return built;
      onOutput?.(`[slipway] ${what}: pushing ${target}`);
      const result = await pushImage(docker, {
        image: built.id,
        reference: target,
        ...(this.options.registryAuth ? { auth: this.options.registryAuth } : {}),
        ...(this.options.registryInsecure ? { insecure: true } : {}),
        ...(onOutput ? { onOutput } : {}),
      });
      if (!result.ok) {
        onOutput?.(`[slipway] ${what}: ${result.reason}`);
        return { ok: false, outcome: 'failed', reason: `${what}: ${result.reason}` };
      }
      onOutput?.(`[slipway] ${what}: pushed ${result.reference}`);
      return { ok: true, reference: result.reference };
    })();
    this.pushed.set(target, pushing);
    // Only a push that worked is kept: a failed one is tried again by the next deploy.
    void pushing.then((r) => {
      if (!r.ok) this.pushed.delete(target);
    });
    return pushing;
  }

  /** The image the cluster pulls for a service: its pushed build (by digest) with a registry prefix, else `image:` as given. */
  private async imageOf(env: EnvironmentRef, service: ResolvedService, commit: string): Promise<PushedImage> {
    if (service.static && this.options.imageRegistry) return this.staticImage(env, service, commit);
    if (service.build && this.options.imageRegistry) return this.builtImage(env, service, commit);
    if (service.image) return { ok: true, reference: service.image };
    return { ok: false, outcome: 'failed', reason: `services.${service.name} has no image the cluster can pull` };
  }

  /** The pull Secret pods name, when the runtime has registry credentials to give the cluster. */
  private get pullSecret(): string | undefined {
    return this.options.registryAuth && this.options.imageRegistry && this.options.registryPullSecret !== false ? REGISTRY_PULL_SECRET : undefined;
  }

  /** The namespace, and its pull Secret when there is one. */
  private async applyNamespace(ns: string, env: EnvironmentRef): Promise<void> {
    await this.apply1(namespaceObject(ns, env, this.tag));
    if (this.pullSecret) await this.apply1(registryPullSecretObject(ns, env, registryOf(`${this.options.imageRegistry}/x`), this.options.registryAuth!));
  }

  // ---------------------------------------------------------------------------------------------
  // Services

  async apply(request: ApplyRequest): Promise<ApplyResult> {
    const ns = this.namespace(request.env);
    const applied = await this.locks.run(environmentKey(request.env), async (): Promise<ApplyResult> => {
      const unknown = (request.only ?? []).filter((name) => !request.services.some((s) => s.name === name));
      if (unknown.length > 0) return problem('failed', `no service named ${unknown.join(', ')} in the environment`);
      const pinned = Object.keys(request.hostPorts ?? {});
      if (pinned.length > 0) return problem('failed', `services.${pinned[0]}: the kubernetes runtime gives services no host ports (pods have their own addresses); leave hostPorts out`);
      const targets = request.only ? request.services.filter((s) => request.only!.includes(s.name)) : request.services;
      try {
        await this.applyNamespace(ns, request.env);
        const existing = await this.deployments(ns);
        // Services are independent objects: applied side by side.
        const reports: ServiceReport[] = [];
        for (const report of await Promise.all(targets.map((spec) => this.applyService(request, ns, spec, existing.get(spec.name))))) {
          if ('reason' in report) return report;
          reports.push(report);
        }
        if (!request.only) {
          for (const [name, deployment] of existing) {
            if (targets.some((s) => s.name === name)) continue;
            await this.removeService(ns, name);
            reports.push({ service: name, action: 'removed', specHash: deployment.hash, instances: [] });
          }
          if (request.cronJobs) {
            const cron = await this.applyCronJobs(request, ns, request.cronJobs);
            if (cron) return cron;
          }
        }
        return { outcome: 'succeeded', services: reports };
      } catch (error) {
        return this.apiProblem(`applying ${request.env.envId} in namespace ${ns}`, error);
      }
    });
    if (applied.outcome !== 'succeeded') return applied;
    if (request.waitFor === 'ready') {
      const waited = await this.waitReady(request, applied.services);
      if (waited) return waited;
    }
    const instances = await this.instances(request.env);
    const services = applied.services.map((r) => ({ ...r, instances: r.action === 'removed' ? [] : instances.filter((i) => i.service === r.service) }));
    return { outcome: 'succeeded', services };
  }

  /** The environment's Deployments by service, with their spec hash and replicas. */
  private async deployments(ns: string): Promise<Map<string, { hash: string; replicas: number }>> {
    const found = new Map<string, { hash: string; replicas: number }>();
    try {
      const list = await this.call(() => this.apps.listNamespacedDeployment({ namespace: ns, labelSelector: labelKeys.service }));
      for (const d of list.items) {
        const service = d.metadata?.labels?.[labelKeys.service];
        if (service) found.set(service, { hash: d.metadata?.labels?.[labelKeys.specHash] ?? '', replicas: d.spec?.replicas ?? 1 });
      }
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    return found;
  }

  private async applyService(request: ApplyRequest, ns: string, given: ResolvedService, existing: { hash: string; replicas: number } | undefined): Promise<ServiceReport | DriverProblem> {
    const refused = unmappable(given);
    if (refused) return problem('failed', `${refused.path}: ${refused.message}`);
    const pulled = await this.imageOf(request.env, given, request.commit);
    if (!pulled.ok) return problem(pulled.outcome, pulled.reason, pulled.logTail);
    const image = pulled.reference;
    // A static site runs as the server of its image, like any service.
    const spec = given.static ? staticSiteService(given) : given;
    const secrets = secretData(serviceVariableSets(spec), request.secrets);
    if (secrets.missing.length > 0) return problem('errored', `services.${spec.name}: secrets not provided: ${secrets.missing.join(', ')}`);
    // As on docker: the commit's own variables do not roll a service whose image and spec did not change.
    const { SLIPWAY_COMMIT_SHA: _sha, SLIPWAY_COMMIT_SHORT: _short, ...env } = spec.env;
    const hash = specHash({ spec: { ...spec, env, replicas: 0 }, image, revision: request.revision ?? '', exposure: this.exposure });
    if (existing && existing.hash === hash) {
      if (existing.replicas === spec.replicas) return { service: spec.name, action: 'unchanged', specHash: hash, instances: [] };
      await this.call(() => this.apps.patchNamespacedDeploymentScale({ name: spec.name, namespace: ns, body: { spec: { replicas: spec.replicas } } }, setMergePatch));
      return { service: spec.name, action: 'updated', specHash: hash, instances: [] };
    }
    const labels = ownerLabels(request.env, spec.name);
    // The Secret and claims first, so the pods never start without them; the Service beside the Deployment.
    const first = [
      ...(Object.keys(secrets.values).length > 0 ? [secretObject(serviceSecretName(spec.name), ns, labels, secrets.values)] : []),
      ...spec.volumes.filter((v) => v.type === 'persistent').map((volume) => volumeClaimObject(ns, request.env, spec.name, volume, this.options.storageClass)),
    ];
    await Promise.all(first.map((o) => this.apply1(o)));
    const svc = serviceObject(ns, request.env, spec, this.exposure);
    await Promise.all([this.apply1(deploymentObject({ namespace: ns, env: request.env, service: spec, image, specHash: hash, commit: request.commit, hostMounts: this.options.hostMounts, ...this.pullSecretInput() })), ...(svc ? [this.apply1(svc)] : [])]);
    return { service: spec.name, action: existing ? 'replaced' : 'created', specHash: hash, instances: [] };
  }

  private pullSecretInput(): { imagePullSecret?: string } {
    return this.pullSecret ? { imagePullSecret: this.pullSecret } : {};
  }

  /** The image a job runs: its own `image`, or its service's (built and pushed when it has a build). */
  private async jobImage(env: EnvironmentRef, job: ResolvedJob, service: ResolvedService | undefined, commit: string, what: string): Promise<PushedImage> {
    if (job.image) return { ok: true, reference: job.image };
    if (service) return this.imageOf(env, service, commit);
    return { ok: false, outcome: 'errored', reason: `${what}: no image to run it in (give the job an image, or fromService a service with one)` };
  }

  /**
   * Cron jobs as CronJobs (with their secret variables in a Secret of their own), applied with the
   * same server-side apply, so an unchanged one is not written; CronJobs of cron jobs no longer
   * listed are deleted with the Jobs they made.
   */
  private async applyCronJobs(request: ApplyRequest, ns: string, cronJobs: ResolvedJob[]): Promise<DriverProblem | undefined> {
    for (const job of cronJobs) {
      const what = `cronJobs.${job.name}`;
      const service = job.fromService ? request.services.find((s) => s.name === job.fromService) : undefined;
      if (job.fromService && !service) return problem('failed', `${what}: fromService names ${job.fromService}, which the environment has no service of`);
      const pulled = await this.jobImage(request.env, job, service, request.commit, what);
      if (!pulled.ok) return problem(pulled.outcome, pulled.reason, pulled.logTail);
      const serviceEnv = service?.env ?? {};
      const secrets = secretData([serviceEnv, job.env], request.secrets);
      if (secrets.missing.length > 0) return problem('errored', `${what}: secrets not provided: ${secrets.missing.join(', ')}`);
      const labels = { ...ownerLabels(request.env), [kubeLabels.cronJob]: job.name };
      if (Object.keys(secrets.values).length > 0) await this.apply1(secretObject(cronJobSecretName(job.name), ns, labels, secrets.values));
      else await this.call(() => this.core.deleteNamespacedSecret({ name: cronJobSecretName(job.name), namespace: ns })).catch(ignoreMissing);
      await this.apply1(cronJobObject({ namespace: ns, env: request.env, job, image: pulled.reference, serviceEnv, commit: request.commit, hostMounts: this.options.hostMounts, ...this.pullSecretInput() }));
    }
    const wanted = new Set(cronJobs.map((j) => cronJobObjectName(j.name)));
    const existing = await this.call(() => this.batch.listNamespacedCronJob({ namespace: ns, labelSelector: kubeLabels.cronJob }));
    for (const cron of existing.items) {
      const name = cron.metadata?.name;
      const job = cron.metadata?.labels?.[kubeLabels.cronJob];
      if (!name || !job || wanted.has(name)) continue;
      await this.call(() => this.batch.deleteNamespacedCronJob({ name, namespace: ns, propagationPolicy: 'Background' })).catch(ignoreMissing);
      await this.call(() => this.core.deleteNamespacedSecret({ name: cronJobSecretName(job), namespace: ns })).catch(ignoreMissing);
    }
    return undefined;
  }

  private async removeService(ns: string, name: string): Promise<void> {
    const gone = (error: unknown) => {
      if (!isStatus(error, 404)) throw error;
    };
    await this.call(() => this.apps.deleteNamespacedDeployment({ name, namespace: ns, propagationPolicy: 'Foreground' })).catch(gone);
    await this.call(() => this.core.deleteNamespacedService({ name, namespace: ns })).catch(gone);
    await this.call(() => this.core.deleteNamespacedSecret({ name: serviceSecretName(name), namespace: ns })).catch(gone);
    // Pods of a removed service are gone before apply reports it removed.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const pods = await this.call(() => this.core.listNamespacedPod({ namespace: ns, labelSelector: `${labelKeys.service}=${name}` }));
      if (pods.items.length === 0) return;
      await sleep(200);
    }
  }

  private async waitReady(request: ApplyRequest, reports: ServiceReport[]): Promise<DriverProblem | undefined> {
    const deadline = Date.now() + (request.timeoutMs ?? 120_000);
    const wanted = reports.filter((r) => r.action !== 'removed');
    const ns = this.namespace(request.env);
    for (let round = 0; ; round++) {
      // One read of the namespace's pods a round, for every service at once.
      const all = await this.instances(request.env);
      let pending: InstanceStatus[] = [];
      for (const report of wanted) {
        const spec = request.services.find((s) => s.name === report.service)!;
        const instances = all.filter((i) => i.service === report.service);
        const readiness = serviceReadiness(instances, spec.replicas);
        if (readiness.state === 'failed') return problem('failed', `services.${report.service}: ${readiness.reason}`, readiness.instance.logTail);
        if (readiness.state === 'pending') {
          // What the API says of a stuck rollout (quota, scheduling) is read every second, not every round.
          const blocked = round % 20 === 19 ? await this.rolloutProblem(ns, report.service) : undefined;
          if (blocked) return problem('failed', `services.${report.service}: ${blocked}`);
          pending = pending.concat(instances.length ? instances : [{ name: `${report.service}-0`, state: 'starting', message: 'no pod yet' } as InstanceStatus]);
        }
      }
      if (pending.length === 0) return undefined;
      if (Date.now() > deadline) {
        for (const report of wanted) {
          const blocked = await this.rolloutProblem(ns, report.service);
          if (blocked) return problem('failed', `services.${report.service}: ${blocked}`);
        }
        return problem('failed', `not ready within ${request.timeoutMs ?? 120_000} ms: ${notReadyReasons(pending)}`);
      }
      await sleep(50);
    }
  }

  /**
   * Why a Deployment cannot make progress, in the API's own words: its ReplicaSet refused by
   * admission (a quota), a pod that cannot be scheduled, an image that cannot be pulled.
   */
  private async rolloutProblem(ns: string, service: string): Promise<string | undefined> {
    const deployment = await this.call(() => this.apps.readNamespacedDeployment({ name: service, namespace: ns })).catch(() => undefined);
    const failure = deployment?.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
    if (failure) return `${failure.reason ?? 'ReplicaFailure'}: ${failure.message ?? ''}`.trim();
    const events = await this.call(() => this.core.listNamespacedEvent({ namespace: ns })).catch(() => undefined);
    for (const e of events?.items ?? []) {
      const name = e.involvedObject?.name ?? '';
      if (!name.startsWith(`${service}-`) && name !== service) continue;
      if (e.reason === 'FailedCreate' && /quota|forbidden/i.test(e.message ?? '')) return `FailedCreate: ${e.message}`;
      if (e.reason === 'FailedScheduling' && (e.count ?? 1) >= 2) return `FailedScheduling: ${e.message}`;
    }
    return undefined;
  }

  async instances(env: EnvironmentRef, service?: string): Promise<InstanceStatus[]> {
    const ns = this.namespace(env);
    let pods: V1Pod[];
    let hashes: Map<string, { hash: string; replicas: number }>;
    try {
      hashes = await this.deployments(ns);
      const selector = service ? `${labelKeys.service}=${service}` : labelKeys.service;
      pods = (await this.call(() => this.core.listNamespacedPod({ namespace: ns, labelSelector: selector }))).items;
    } catch (error) {
      if (isStatus(error, 404)) return [];
      throw error;
    }
    // For a router outside the cluster, instances are reached on their Service's node port.
    const nodePorts = new Map<string, number>();
    if (this.exposure === 'node-port') {
      const services = await this.call(() => this.core.listNamespacedService({ namespace: ns })).catch(() => undefined);
      for (const svc of services?.items ?? []) if (svc.metadata?.name && svc.spec?.ports?.[0]?.nodePort) nodePorts.set(svc.metadata.name, svc.spec.ports[0].nodePort);
    }
    const out: InstanceStatus[] = [];
    const byService = new Map<string, V1Pod[]>();
    for (const pod of pods) {
      const name = pod.metadata?.labels?.[labelKeys.service];
      if (!name || pod.metadata?.labels?.[kubeLabels.job]) continue;
      // Pods of an older revision that are on their way out are not the service's instances.
      if (pod.metadata?.deletionTimestamp || pod.metadata?.labels?.[labelKeys.specHash] !== hashes.get(name)?.hash) continue;
      byService.set(name, [...(byService.get(name) ?? []), pod]);
    }
    const troubled: { instance: InstanceStatus; pod: V1Pod }[] = [];
    for (const [name, list] of [...byService].sort(([a], [b]) => a.localeCompare(b))) {
      list.sort((a, b) => String(a.metadata?.creationTimestamp ?? '').localeCompare(String(b.metadata?.creationTimestamp ?? '')) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
      list.forEach((pod, replica) => {
        const instance = this.instanceOf(env, ns, name, replica, pod, nodePorts.get(name));
        out.push(instance);
        if (instance.state === 'crash-looping' || instance.state === 'unhealthy' || instance.restarts > 0) troubled.push({ instance, pod });
      });
    }
    if (troubled.length > 0) await this.explain(ns, troubled);
    return out;
  }

  /**
   * What a troubled instance's own container and the kubelet said: the log tail of the container
   * that failed (its last run, or the init step's), the probe's failure from the pod's Unhealthy
   * events, and a liveness kill as the reason of the last exit.
   */
  private async explain(ns: string, troubled: { instance: InstanceStatus; pod: V1Pod }[]): Promise<void> {
    const events = (await this.call(() => this.core.listNamespacedEvent({ namespace: ns })).catch(() => undefined))?.items ?? [];
    for (const { instance, pod } of troubled) {
      const podName = pod.metadata?.name ?? '';
      const mine = events
        .filter((e) => e.involvedObject?.name === podName)
        .sort((a, b) => String(a.lastTimestamp ?? a.eventTime ?? '').localeCompare(String(b.lastTimestamp ?? b.eventTime ?? '')));
      const lastOf = (reason: string, pattern: RegExp) => mine.filter((e) => e.reason === reason && pattern.test(e.message ?? '')).pop()?.message;
      if (instance.state === 'unhealthy') {
        const probe = lastOf('Unhealthy', /^Readiness probe/);
        if (probe) instance.message = probe;
      }
      if (instance.lastExit && lastOf('Killing', /liveness probe/)) {
        const probe = lastOf('Unhealthy', /^Liveness probe/);
        instance.lastExit.reason = `liveness probe failed${probe ? `: ${probe.replace(/^Liveness probe failed:\s*/, '')}` : ''}`;
      }
      if (instance.state === 'crash-looping') {
        const init = pod.status?.initContainerStatuses?.find((c) => (c.state?.terminated ?? c.lastState?.terminated)?.exitCode);
        const container = init?.name ?? instance.service;
        const ran = init ? !!init.state?.terminated : false;
        const text = await this.call(() => this.core.readNamespacedPodLog({ name: podName, namespace: ns, container, tailLines: 50, ...(ran ? {} : { previous: true }) }))
          .catch(() => this.call(() => this.core.readNamespacedPodLog({ name: podName, namespace: ns, container, tailLines: 50 })))
          .catch(() => '');
        if (text) instance.logTail = String(text).trimEnd();
      }
    }
  }

  private instanceOf(env: EnvironmentRef, ns: string, service: string, replica: number, pod: V1Pod, nodePort?: number): InstanceStatus {
    const main = pod.status?.containerStatuses?.find((c) => c.name === service);
    const init = pod.status?.initContainerStatuses?.find((c) => c.state?.terminated && c.state.terminated.exitCode !== 0) ?? pod.status?.initContainerStatuses?.find((c) => c.lastState?.terminated && c.lastState.terminated.exitCode !== 0 && c.state?.waiting);
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    const waiting = main?.state?.waiting;
    let state: InstanceState = 'starting';
    let message: string | undefined;
    if (init) {
      state = 'crash-looping';
      const t = init.state?.terminated ?? init.lastState?.terminated;
      message = `init step ${init.name} exited with code ${t?.exitCode}${t?.reason ? ` (${t.reason})` : ''}`;
    } else if (waiting?.reason && STUCK_REASONS.has(waiting.reason)) {
      state = 'crash-looping';
      message = `${waiting.reason}: ${waiting.message ?? ''}`.trim();
    } else if (pod.status?.phase === 'Running' && ready) state = 'ready';
    else if (pod.status?.phase === 'Running') {
      state = main?.started ? 'unhealthy' : 'starting';
      message = main?.started ? 'readiness probe failing' : undefined;
    } else if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') state = 'stopped';
    else {
      const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      if (unscheduled) message = `${unscheduled.reason ?? 'Unschedulable'}: ${unscheduled.message ?? ''}`.trim();
    }
    const initExit = init ? (init.state?.terminated ?? init.lastState?.terminated) : undefined;
    const last = main?.lastState?.terminated ?? initExit;
    const firstPort = pod.spec?.containers.find((c) => c.name === service)?.ports?.[0]?.containerPort;
    return {
      env,
      service,
      replica,
      name: `${service}-${replica}`,
      state,
      specHash: pod.metadata?.labels?.[labelKeys.specHash] ?? '',
      endpoints: firstPort === undefined ? [] : this.instanceEndpoints(ns, service, firstPort, pod, nodePort),
      // A pod held by a failing init step runs no instance yet; a restarted container is a new instance.
      ...(init ? {} : { runtimeId: `${ns}/${pod.metadata?.name}${main?.restartCount ? `/${main.restartCount}` : ''}` }),
      ...(pod.status?.startTime ? { startedAt: new Date(pod.status.startTime).toISOString() } : {}),
      restarts: main?.restartCount ?? 0,
      ...(last ? { lastExit: { code: last.exitCode ?? null, signal: last.signal ? String(last.signal) : null, at: new Date(last.finishedAt ?? Date.now()).toISOString(), ...(last.reason ? { reason: last.reason } : {}) } } : {}),
      ...(message ? { message } : {}),
    };
  }

  /** Where the router reaches an instance: its pod's IP (pod-ip; none before it has one), its Service's node port, or its Service's name. */
  private instanceEndpoints(ns: string, service: string, port: number, pod: V1Pod, nodePort: number | undefined): { port: number; host: string; hostPort: number }[] {
    if (this.exposure === 'pod-ip') return pod.status?.podIP ? [{ port, host: pod.status.podIP, hostPort: port }] : [];
    if (nodePort !== undefined) return [{ port, host: this.options.nodeAddress ?? '127.0.0.1', hostPort: nodePort }];
    return [this.endpoint(ns, service, port)];
  }

  /** The Service's address inside the cluster, fixed by its name. */
  private endpoint(ns: string, service: string, port: number): { port: number; host: string; hostPort: number } {
    const domain = this.options.clusterDomain ?? 'cluster.local';
    return { port, host: `${service}.${ns}.svc.${domain}`, hostPort: port };
  }

  private async podOf(ref: InstanceRef): Promise<{ ns: string; pod: string; container: string }> {
    const instance = (await this.instances(ref.env, ref.service)).find((i) => i.replica === ref.replica);
    if (!instance?.runtimeId) throw new Error(`no instance ${ref.service}-${ref.replica} in ${ref.env.envId}`);
    return { ns: this.namespace(ref.env), pod: instance.runtimeId.split('/')[1]!, container: ref.container ?? ref.service };
  }

  async *logs(ref: InstanceRef, options: LogOptions = {}): AsyncIterable<string> {
    const { ns, pod, container } = await this.podOf(ref);
    const out = new PassThrough();
    const controller = await new Log(this.kc).log(ns, pod, container, out, { follow: options.follow ?? false, ...(options.tail !== undefined ? { tailLines: options.tail } : {}) });
    const stop = () => {
      controller.abort();
      out.end();
    };
    options.signal?.addEventListener('abort', stop, { once: true });
    let partial = '';
    try {
      for await (const chunk of out) {
        const lines = (partial + String(chunk)).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) yield line;
      }
      if (partial) yield partial;
    } finally {
      options.signal?.removeEventListener('abort', stop);
      controller.abort();
    }
  }

  async exec(ref: InstanceRef, command: Command, options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const { ns, pod, container } = await this.podOf(ref);
    let output = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        output += chunk.toString('utf8');
        done();
      },
    });
    const argv = containerArgv(command);
    return new Promise<ExecResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      new Exec(this.kc)
        .exec(ns, pod, container, argv, sink, sink, null, false, (status) => {
          if (timer) clearTimeout(timer);
          const code = status.status === 'Success' ? 0 : Number(status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message ?? NaN);
          resolve({ exitCode: Number.isNaN(code) ? null : code, output, timedOut: false });
        })
        .then((socket) => {
          timer = setTimeout(() => {
            socket.close();
            resolve({ exitCode: null, output, timedOut: true });
          }, options.timeoutMs ?? 60_000);
        }, reject);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Jobs

  async runJob(request: JobRunRequest): Promise<JobResult> {
    return this.jobRuns.run(request, () => this.runJobOnce(request));
  }

  private async runJobOnce(request: JobRunRequest): Promise<JobResult> {
    const ns = this.namespace(request.env);
    const name = jobObjectName(request.job.name, request.runId);
    const pulled = await this.jobImage(request.env, request.job, request.service, request.commit, `jobs.${request.job.name}`);
    if (!pulled.ok) return { outcome: 'errored', reason: pulled.reason, ...(pulled.logTail ? { logTail: pulled.logTail } : {}) };
    const image = pulled.reference;
    const serviceEnv = request.service?.env ?? {};
    const secrets = secretData([serviceEnv, request.job.env], request.secrets);
    if (secrets.missing.length > 0) return { outcome: 'errored', reason: `jobs.${request.job.name}: secrets not provided: ${secrets.missing.join(', ')}` };
    const startedAt = new Date().toISOString();
    let recorded = true;
    try {
      await this.applyNamespace(ns, request.env);
      const existing = await this.call(() => this.batch.readNamespacedJob({ name, namespace: ns })).catch((error: unknown) => {
        if (isStatus(error, 404)) return undefined;
        throw error;
      });
      if (!existing) {
        recorded = false;
        const labels = { ...ownerLabels(request.env), [kubeLabels.job]: request.job.name };
        if (Object.keys(secrets.values).length > 0) await this.apply1(secretObject(name, ns, labels, secrets.values));
        // Created, not applied: a second server racing for the same run gets AlreadyExists and waits for this one.
        await this.call(() => this.objects.create(jobObject({ namespace: ns, env: request.env, job: request.job, runId: request.runId, image, serviceEnv, commit: request.commit, hostMounts: this.options.hostMounts, ...this.pullSecretInput() }) as KubernetesObject)).catch((error: unknown) => {
          if (isStatus(error, 409)) recorded = true;
          else throw error;
        });
      }
    } catch (error) {
      const p = this.apiProblem(`jobs.${request.job.name}`, error);
      return { outcome: 'errored', reason: p.reason };
    }
    const deadline = Date.now() + request.job.timeoutMs + 60_000;
    for (;;) {
      const job = await this.call(() => this.batch.readNamespacedJob({ name, namespace: ns })).catch(() => undefined);
      const done = job?.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      if (done) {
        const timedOut = done.type === 'Failed' && done.reason === 'DeadlineExceeded';
        const { exitCode, logTail } = await this.jobOutcome(ns, name, request.secrets);
        // The job's output (masked, its last 50 lines) goes to the deploy log once the Job has finished.
        if (!recorded && request.onOutput) for (const line of logTail.split('\n')) if (line) request.onOutput(line);
        const finishedAt = new Date(done.lastTransitionTime ?? Date.now()).toISOString();
        const started = job?.status?.startTime ? new Date(job.status.startTime).toISOString() : startedAt;
        const run = { exitCode: done.type === 'Complete' ? (exitCode ?? 0) : exitCode, logTail, timedOut, startedAt: started, finishedAt, recorded };
        if (done.type === 'Complete') return { outcome: 'succeeded', ...run };
        return { outcome: 'failed', reason: timedOut ? `jobs.${request.job.name} timed out after ${request.job.timeoutMs} ms` : `jobs.${request.job.name} failed${exitCode !== null ? ` with exit code ${exitCode}` : ''}: ${done.message ?? done.reason ?? ''}`.trim(), ...run };
      }
      if (Date.now() > deadline) return { outcome: 'errored', reason: `jobs.${request.job.name}: the Job ${ns}/${name} did not finish within its deadline; the cluster may not be scheduling its pod` };
      await sleep(250);
    }
  }

  private async jobOutcome(ns: string, job: string, secrets: JobRunRequest['secrets']): Promise<{ exitCode: number | null; logTail: string }> {
    const pods = await this.call(() => this.core.listNamespacedPod({ namespace: ns, labelSelector: `job-name=${job}` })).catch(() => undefined);
    const pod = pods?.items[0];
    const exitCode = pod?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode ?? null;
    let logTail = '';
    if (pod?.metadata?.name) {
      const text = await this.call(() => this.core.readNamespacedPodLog({ name: pod.metadata!.name!, namespace: ns, tailLines: 50 })).catch(() => '');
      const mask = secretMasker(secrets);
      logTail = String(text ?? '')
        .split('\n')
        .map(mask)
        .join('\n');
    }
    return { exitCode, logTail };
  }

  // ---------------------------------------------------------------------------------------------
  // App Imports

  async link(request: LinkRequest): Promise<LinkResult> {
    // Namespaces of one cluster reach each other by Service DNS: an import's service answers at
    // <service>.<its namespace>.svc, with nothing to join.
    const addresses = [];
    for (const peer of request.peers) {
      const ns = this.namespace(peer.env);
      const deployments = await this.deployments(ns).catch(() => new Map<string, { hash: string; replicas: number }>());
      for (const service of peer.services) {
        if (!deployments.has(service)) continue;
        const svc = await this.call(() => this.core.readNamespacedService({ name: service, namespace: ns })).catch(() => undefined);
        const port = svc?.spec?.ports?.[0]?.port;
        if (port === undefined) continue;
        const e = this.endpoint(ns, service, port);
        addresses.push({ env: peer.env, service, host: e.host, port: e.port });
      }
    }
    return { outcome: 'succeeded', addresses };
  }

  // ---------------------------------------------------------------------------------------------
  // Teardown and ownership

  async destroy(request: DestroyRequest): Promise<void> {
    const ns = this.namespace(request.env);
    await this.locks.run(environmentKey(request.env), async () => {
      if (request.services) {
        for (const name of request.services) await this.removeService(ns, name);
        return;
      }
      await this.deleteNamespace(ns);
    });
  }

  /** Deletes a namespace and waits until it is gone (its finalizers done), so nothing of it is left. */
  private async deleteNamespace(ns: string): Promise<void> {
    try {
      await this.call(() => this.core.deleteNamespace({ name: ns }));
    } catch (error) {
      if (isStatus(error, 404)) return;
      throw error;
    }
    const deadline = Date.now() + (this.options.namespaceDeleteTimeoutMs ?? 120_000);
    for (;;) {
      try {
        await this.call(() => this.core.readNamespace({ name: ns }));
      } catch (error) {
        if (isStatus(error, 404)) return;
        throw error;
      }
      if (Date.now() > deadline) throw new Error(`namespace ${ns} is still terminating after ${this.options.namespaceDeleteTimeoutMs ?? 120_000} ms (kubectl describe namespace ${ns} says what holds it)`);
      await sleep(250);
    }
  }

  /**
   * The namespaces this driver made, and the containers of the pods in them (`<namespace>/<pod>/<container>`,
   * init steps left out: they have finished once a pod serves).
   */
  async listOwned(): Promise<OwnedResource[]> {
    const namespaces = await this.ownedNamespaces();
    if (namespaces.length === 0) return namespaces;
    const byName = new Map(namespaces.map((ns) => [ns.id, ns]));
    // One list for the whole cluster, by the environment label every pod carries, kept to this driver's namespaces.
    const pods = await this.call(() => this.core.listPodForAllNamespaces({ labelSelector: labelKeys.env }));
    const containers: OwnedResource[] = [];
    for (const pod of pods.items) {
      const namespace = pod.metadata?.namespace;
      const owner = namespace ? byName.get(namespace) : undefined;
      if (!owner || !pod.metadata?.name || pod.metadata.deletionTimestamp) continue;
      const labels = (pod.metadata.labels ?? {}) as Record<string, string>;
      const service = labels[labelKeys.service];
      for (const container of pod.spec?.containers ?? []) {
        containers.push({ env: owner.env, kind: 'container', id: `${namespace}/${pod.metadata.name}/${container.name}`, ...(service ? { service } : {}), labels });
      }
    }
    return [...namespaces, ...containers];
  }

  private async ownedNamespaces(): Promise<OwnedResource[]> {
    const list = await this.call(() => this.core.listNamespace({ labelSelector: `${kubeLabels.driver}=${this.tag}` }));
    const owned: OwnedResource[] = [];
    for (const ns of list.items) {
      const labels = (ns.metadata?.labels ?? {}) as Record<string, string>;
      const env = ownerFromLabels(labels);
      if (!env || !ns.metadata?.name) continue;
      // A namespace on its way out is no longer what the environment owns.
      if (ns.status?.phase === 'Terminating') continue;
      owned.push({ env, kind: 'namespace', id: ns.metadata.name, labels });
    }
    return owned;
  }

  async sweep(live: EnvironmentRef[]): Promise<SweepReport> {
    const removed: OwnedResource[] = [];
    // Deleting a namespace removes everything in it: the namespaces are all there is to sweep.
    for (const resource of await this.ownedNamespaces()) {
      if (live.some((env) => sameEnvironment(env, resource.env))) continue;
      await this.locks.run(environmentKey(resource.env), () => this.deleteNamespace(resource.id));
      removed.push(resource);
    }
    return { removed };
  }

  /** Whether the pod a runtime id (`<namespace>/<pod>`) names is running and not on its way out. */
  async podRunning(runtimeId: string): Promise<boolean> {
    const [namespace, name] = runtimeId.split('/');
    if (!namespace || !name) return false;
    const pod = await this.call(() => this.core.readNamespacedPod({ name, namespace })).catch(() => undefined);
    return pod?.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp;
  }

  async close(): Promise<void> {
    // Nothing to stop: the cluster supervises the pods, and a later driver reads everything back.
    this.closed = true;
  }
}

/** The image a workload runs: a reference the cluster pulls, or why there is none. */
type PushedImage = { ok: true; reference: string } | { ok: false; outcome: 'failed' | 'errored'; reason: string; logTail?: string };

const ignoreMissing = (error: unknown) => {
  if (!isStatus(error, 404)) throw error;
};

/** Options for a JSON merge patch of the scale subresource. */
const setMergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function createKubernetesDriver(options: KubernetesDriverOptions): KubernetesDriver {
  return new KubernetesDriver(options);
}
