// What a rendered service or job becomes on Kubernetes, as plain objects: pure functions, no API
// calls, so the mapping is tested without a cluster and documented in one place (docs/runtimes.md
// has the table). Every object carries Slipway's ownership labels. Secret values go into Secret
// objects only: containers read them through secretKeyRef, so no Deployment, Job, annotation or
// last-applied copy ever holds one.
import type { Probe, ResolvedEnvValue, ResolvedJob, ResolvedService, VolumeSpec } from '@slipway/contract';
import { containerArgv } from '../shared/process-group.ts';
import { hashText, kubernetesRefusals, labelKeys, ownerLabels, probeTimings, renderedVariables, resolveVariables, type EnvironmentRef, type SecretValues } from '@slipway/core';

/** Labels only the kubernetes driver writes. */
export const kubeLabels = {
  /** Tells one driver's namespaces from another's on a shared cluster. */
  driver: 'dev.slipway.driver',
  job: 'dev.slipway.job',
  runHash: 'dev.slipway.run-hash',
  cronJob: 'dev.slipway.cronjob',
} as const;

export const kubeAnnotations = {
  runId: 'dev.slipway/run-id',
  commit: 'dev.slipway/commit',
} as const;

/** The field manager of every server-side apply. */
export const FIELD_MANAGER = 'slipway';

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
} & Record<string, unknown>;

/** A DNS label of at most `max` characters: cut names end in a hash of the whole, so two long names never meet. */
export function boundedName(name: string, max = 63): string {
  const clean = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
  if (clean.length <= max) return clean;
  const suffix = hashText(clean).slice(0, 8);
  return `${clean.slice(0, max - 9).replace(/-+$/, '')}-${suffix}`;
}

/** The namespace of an environment: <prefix>-<workspace>-<app>-<env>, within 63 characters. */
export function namespaceName(prefix: string, env: EnvironmentRef): string {
  return boundedName(`${prefix}-${env.workspace}-${env.app}-${env.envId}`);
}

export function namespaceObject(name: string, env: EnvironmentRef, driverTag: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ...ownerLabels(env), [kubeLabels.driver]: driverTag } } };
}


/** Seconds for a Kubernetes duration field: at least `min`, rounded up. */
const seconds = (ms: number, min = 0) => Math.max(min, Math.ceil(ms / 1000));

export function probeObject(probe: Probe, defaultPort: number | undefined, liveness: boolean): Record<string, unknown> {
  const t = probeTimings(probe);
  const timing = {
    initialDelaySeconds: seconds(t.initialDelayMs),
    periodSeconds: seconds(t.periodMs, 1),
    timeoutSeconds: seconds(t.timeoutMs, 1),
    failureThreshold: t.failureThreshold,
    // Kubernetes accepts only 1 for liveness and startup probes.
    successThreshold: liveness ? 1 : t.successThreshold,
  };
  if (probe.http) {
    const headers = Object.entries(probe.http.headers ?? {}).map(([name, value]) => ({ name, value }));
    return { ...timing, httpGet: { path: probe.http.path, port: probe.http.port ?? defaultPort, ...(headers.length ? { httpHeaders: headers } : {}) } };
  }
  if (probe.tcp) return { ...timing, tcpSocket: { port: probe.tcp.port ?? defaultPort } };
  return { ...timing, exec: { command: containerArgv(probe.exec!.command) } };
}

export interface SecretData {
  /** Variable name → value, for the Secret object. */
  values: Record<string, string>;
  missing: string[];
}

/** The values a Secret object holds for a set of variables (names of missing secrets, never values). */
export function secretData(envs: Record<string, ResolvedEnvValue>[], secrets: SecretValues = {}): SecretData {
  const values: Record<string, string> = {};
  const missing = new Set<string>();
  for (const env of envs) {
    const references = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v !== 'string'));
    const resolved = resolveVariables(references, secrets);
    Object.assign(values, resolved.values);
    for (const key of resolved.missingSecrets) missing.add(key);
  }
  return { values, missing: [...missing].sort() };
}

export function secretObject(name: string, namespace: string, labels: Record<string, string>, values: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')])),
  };
}

/** Container variables: plain values inline, secret references through the named Secret object. */
function containerEnv(env: Record<string, ResolvedEnvValue>, secretName: string, extra: Record<string, string> = {}): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [name, value] of Object.entries({ ...extra, ...env })) {
    if (typeof value === 'string') out.push({ name, value });
    else out.push({ name, valueFrom: { secretKeyRef: { name: secretName, key: name } } });
  }
  return out.sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

function resourcesObject(resources: ResolvedService['resources']): Record<string, unknown> | undefined {
  if (!resources) return undefined;
  const quantities = (q: { cpu?: string | number; memory?: string } | undefined) =>
    q ? Object.fromEntries(Object.entries({ cpu: q.cpu === undefined ? undefined : String(q.cpu), memory: q.memory }).filter(([, v]) => v !== undefined)) : undefined;
  const requests = quantities(resources.requests);
  const limits = quantities(resources.limits);
  return { ...(requests && Object.keys(requests).length ? { requests } : {}), ...(limits && Object.keys(limits).length ? { limits } : {}) };
}

/** Why a service cannot run on Kubernetes as written (the rule validation applies too), with the field; undefined when it can. */
export function unmappable(service: ResolvedService): { path: string; message: string } | undefined {
  const [refusal] = kubernetesRefusals(service);
  if (!refusal) return undefined;
  const path = refusal.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  return { path: `services.${service.name}${path}`, message: refusal.message };
}

/** The port a static site's server listens on inside its pod (static-site-image.ts builds it). */
export const STATIC_SITE_PORT = 8080;

/**
 * A static site as the service that serves it: its pushed image's server on one port, with no
 * variables (they were the build's), its init steps, sidecars and volumes left out; replicas,
 * resources and hostnames as the manifest says.
 */
export function staticSiteService(service: ResolvedService): ResolvedService {
  const { static: _site, command: _command, args: _args, ...rest } = service;
  return { ...rest, ports: [{ port: STATIC_SITE_PORT, protocol: 'http' }], env: {}, initContainers: [], sidecars: [], volumes: [] };
}

export const serviceSecretName = (service: string) => boundedName(`${service}-env`, 253);
export const volumeClaimName = (service: string, volume: string) => boundedName(`${service}-${volume}`);

/** A folder of the node mounted into every container of a pod (a hostPath volume): for one-node clusters, e.g. tests reading what a job wrote. */
export interface HostMount {
  source: string;
  target: string;
  readOnly?: boolean;
}

/** The volumes and mounts of host mounts, named host-0, host-1, …. */
function hostMountParts(hostMounts: HostMount[] = []): { volumes: Record<string, unknown>[]; mounts: Record<string, unknown>[] } {
  return {
    volumes: hostMounts.map((m, i) => ({ name: `host-${i}`, hostPath: { path: m.source, type: 'DirectoryOrCreate' } })),
    mounts: hostMounts.map((m, i) => ({ name: `host-${i}`, mountPath: m.target, ...(m.readOnly ? { readOnly: true } : {}) })),
  };
}

export interface DeploymentInput {
  namespace: string;
  env: EnvironmentRef;
  service: ResolvedService;
  /** The image reference the cluster pulls. */
  image: string;
  specHash: string;
  commit: string;
  /** A dockerconfigjson Secret of the namespace the kubelet pulls with (registryPullSecretObject). */
  imagePullSecret?: string;
  hostMounts?: HostMount[];
}

export function volumeClaimObject(namespace: string, env: EnvironmentRef, service: string, volume: VolumeSpec, storageClass: string | undefined): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: volumeClaimName(service, volume.name), namespace, labels: ownerLabels(env, service) },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: volume.size ?? '1Gi' } },
      ...(storageClass ? { storageClassName: storageClass } : {}),
    },
  };
}

/** The Deployment of a service: its replicas, main container, sidecars, init steps, probes, resources and volumes. */
export function deploymentObject(input: DeploymentInput): KubeObject {
  const { service, env, namespace } = input;
  const labels = ownerLabels(env, service.name, input.specHash);
  const firstPort = service.ports[0]?.port;
  const secretName = serviceSecretName(service.name);
  const host = hostMountParts(input.hostMounts);
  const volumes = [
    ...service.volumes.map((v) => (v.type === 'persistent' ? { name: v.name, persistentVolumeClaim: { claimName: volumeClaimName(service.name, v.name) } } : { name: v.name, emptyDir: {} })),
    ...host.volumes,
  ];
  const mounts = [...service.volumes.map((v) => ({ name: v.name, mountPath: v.mountPath, ...(v.readOnly ? { readOnly: true } : {}) })), ...host.mounts];
  const resources = resourcesObject(service.resources);
  const main: Record<string, unknown> = {
    name: service.name,
    image: input.image,
    ...(service.command ? { command: containerArgv(service.command) } : {}),
    ...(service.args ? { args: service.args } : {}),
    ports: service.ports.map((p) => ({ containerPort: p.port, protocol: p.protocol === 'udp' ? 'UDP' : 'TCP', ...(p.name ? { name: p.name } : {}) })),
    env: containerEnv(service.env, secretName, { SLIPWAY_SERVICE: service.name, ...(firstPort !== undefined ? { PORT: String(firstPort) } : {}) }),
    ...(service.readiness ? { readinessProbe: probeObject(service.readiness, firstPort, false) } : {}),
    ...(service.liveness ? { livenessProbe: probeObject(service.liveness, firstPort, true) } : {}),
    ...(resources && Object.keys(resources).length ? { resources } : {}),
    ...(mounts.length ? { volumeMounts: mounts } : {}),
  };
  const sidecars = service.sidecars.map((s) => ({
    name: s.name,
    image: s.image ?? input.image,
    ...(s.command ? { command: containerArgv(s.command) } : {}),
    ...(s.args ? { args: s.args } : {}),
    ...(s.ports?.length ? { ports: s.ports.map((p) => ({ containerPort: p.port, protocol: p.protocol === 'udp' ? 'UDP' : 'TCP' })) } : {}),
    env: containerEnv(renderedVariables(s.env), secretName, { SLIPWAY_SERVICE: service.name }),
    ...(mounts.length ? { volumeMounts: mounts } : {}),
  }));
  const inits = service.initContainers.map((i) => ({
    name: i.name,
    image: i.image ?? input.image,
    command: containerArgv(i.command),
    env: containerEnv({ ...service.env, ...renderedVariables(i.env) }, secretName, { SLIPWAY_SERVICE: service.name }),
    ...(mounts.length ? { volumeMounts: mounts } : {}),
  }));
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: service.name, namespace, labels, annotations: { [kubeAnnotations.commit]: input.commit } },
    spec: {
      replicas: service.replicas,
      revisionHistoryLimit: 2,
      selector: { matchLabels: { [labelKeys.service]: service.name } },
      template: {
        metadata: { labels },
        spec: {
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 10,
          ...pullSecrets(input.imagePullSecret),
          ...(inits.length ? { initContainers: inits } : {}),
          containers: [main, ...sidecars],
          ...(volumes.length ? { volumes } : {}),
        },
      },
    },
  };
}

/** How a router reaches services: Service DNS (inside the cluster), node ports, or pod IPs (a router on a network that routes them). */
export type ServiceExposure = 'cluster-ip' | 'node-port' | 'pod-ip';

/** The Service in front of a service's pods: ClusterIP (reached by DNS in the cluster) or NodePort (reached from outside). */
export function serviceObject(namespace: string, env: EnvironmentRef, service: ResolvedService, exposure: ServiceExposure): KubeObject | undefined {
  if (service.ports.length === 0) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: service.name, namespace, labels: ownerLabels(env, service.name) },
    spec: {
      type: exposure === 'node-port' ? 'NodePort' : 'ClusterIP',
      selector: { [labelKeys.service]: service.name },
      ports: service.ports.map((p) => ({ name: p.name ?? `port-${p.port}`, port: p.port, targetPort: p.port, protocol: p.protocol === 'udp' ? 'UDP' : 'TCP' })),
    },
  };
}

/** The name of a job run's Job object: the job's name and a hash of the run id, so a run is created once. */
export function jobObjectName(job: string, runId: string): string {
  return `${boundedName(job, 52)}-${hashText(runId).slice(0, 10)}`;
}

export interface JobInput {
  namespace: string;
  env: EnvironmentRef;
  job: ResolvedJob;
  runId: string;
  image: string;
  /** Variables of the service the job runs from, under the job's own. */
  serviceEnv?: Record<string, ResolvedEnvValue>;
  commit: string;
  imagePullSecret?: string;
  hostMounts?: HostMount[];
}

const pullSecrets = (name: string | undefined) => (name ? { imagePullSecrets: [{ name }] } : {});

/** The spec of a Job (one run, or each run of a CronJob): one container, run once, within the job's timeout. */
function jobSpec(job: ResolvedJob, image: string, env: Record<string, ResolvedEnvValue>, secretName: string, labels: Record<string, string>, imagePullSecret: string | undefined, hostMounts: HostMount[] | undefined): Record<string, unknown> {
  const resources = resourcesObject(job.resources);
  const host = hostMountParts(hostMounts);
  return {
    backoffLimit: 0,
    activeDeadlineSeconds: seconds(job.timeoutMs, 1),
    template: {
      metadata: { labels },
      spec: {
        restartPolicy: 'Never',
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 5,
        ...pullSecrets(imagePullSecret),
        containers: [
          {
            name: 'job',
            image,
            command: containerArgv(job.command),
            env: containerEnv(env, secretName),
            ...(resources && Object.keys(resources).length ? { resources } : {}),
            ...(host.mounts.length ? { volumeMounts: host.mounts } : {}),
          },
        ],
        ...(host.volumes.length ? { volumes: host.volumes } : {}),
      },
    },
  };
}

export function jobObject(input: JobInput): KubeObject {
  const name = jobObjectName(input.job.name, input.runId);
  const labels = { ...ownerLabels(input.env), [kubeLabels.job]: input.job.name, [kubeLabels.runHash]: hashText(input.runId).slice(0, 10) };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: input.namespace, labels, annotations: { [kubeAnnotations.runId]: input.runId, [kubeAnnotations.commit]: input.commit } },
    spec: jobSpec(input.job, input.image, { ...(input.serviceEnv ?? {}), ...input.job.env }, name, labels, input.imagePullSecret, input.hostMounts),
  };
}

/** A cron job's CronJob object: at most 52 characters, so the Jobs it makes (name + 11) stay within 63. */
export const cronJobObjectName = (job: string) => boundedName(job, 52);

/** The Secret of a cron job's secret variables; the dot keeps it apart from every `<service>-env`. */
export const cronJobSecretName = (job: string) => `${cronJobObjectName(job)}.cronjob`;

export interface CronJobInput {
  namespace: string;
  env: EnvironmentRef;
  job: ResolvedJob;
  image: string;
  serviceEnv?: Record<string, ResolvedEnvValue>;
  commit: string;
  imagePullSecret?: string;
  hostMounts?: HostMount[];
}

const concurrencyPolicies = { allow: 'Allow', forbid: 'Forbid', replace: 'Replace' } as const;

/** A cron job: the cluster's CronJob controller makes a Job (the same spec as a workflow's job run) on each tick of its schedule. */
export function cronJobObject(input: CronJobInput): KubeObject {
  const name = cronJobObjectName(input.job.name);
  const labels = { ...ownerLabels(input.env), [kubeLabels.cronJob]: input.job.name };
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: input.namespace, labels, annotations: { [kubeAnnotations.commit]: input.commit } },
    spec: {
      schedule: input.job.schedule,
      concurrencyPolicy: concurrencyPolicies[input.job.concurrency ?? 'forbid'],
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels },
        spec: jobSpec(input.job, input.image, { ...(input.serviceEnv ?? {}), ...input.job.env }, cronJobSecretName(input.job.name), labels, input.imagePullSecret, input.hostMounts),
      },
    },
  };
}

/** The Secret every pod of a namespace pulls with, when the runtime has registry credentials: type dockerconfigjson. */
export const REGISTRY_PULL_SECRET = 'slipway-registry';

export function registryPullSecretObject(namespace: string, env: EnvironmentRef, registry: string, credentials: { username: string; password: string }): KubeObject {
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
  const config = JSON.stringify({ auths: { [registry]: { username: credentials.username, password: credentials.password, auth } } });
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: REGISTRY_PULL_SECRET, namespace, labels: ownerLabels(env) },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(config, 'utf8').toString('base64') },
  };
}
