import { describe, expect, it } from 'vitest';
import { fixtureJob, fixtureService, probe } from '../conformance/runtime-driver-conformance.ts';
import { boundedName, cronJobObject, cronJobSecretName, deploymentObject, jobObject, jobObjectName, namespaceName, probeObject, registryPullSecretObject, secretData, staticSiteService, secretObject, serviceObject, serviceSecretName, unmappable } from './objects.ts';

const env = { workspace: 'team', app: 'shop', envId: 'pr-42' };
const withImage = (overrides = {}) => fixtureService('web', { run: undefined, image: 'shop/web:1', ...overrides });

describe('kubernetes objects', () => {
  it('names a namespace after workspace, app and environment, within 63 characters, and keeps long names apart', () => {
    expect(namespaceName('slipway', env)).toBe('slipway-team-shop-pr-42');
    const long = { workspace: 'a'.repeat(40), app: 'b'.repeat(40), envId: 'feature-one' };
    const other = { ...long, envId: 'feature-two' };
    expect(namespaceName('slipway', long).length).toBeLessThanOrEqual(63);
    expect(namespaceName('slipway', long)).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(namespaceName('slipway', long)).not.toBe(namespaceName('slipway', other));
    expect(boundedName('-Odd_Name-')).toBe('odd-name');
  });

  it('puts secret values in the Secret object only, and references them from the Deployment', () => {
    const service = withImage({ env: { PLAIN: 'visible', DB_PASSWORD: { secret: 'db', key: 'password' } } });
    const data = secretData([service.env], { 'db/password': 's3cr3t-value' });
    expect(data).toEqual({ values: { DB_PASSWORD: 's3cr3t-value' }, missing: [] });
    const deployment = deploymentObject({ namespace: 'ns', env, service, image: 'shop/web:1', specHash: 'h', commit: 'c' });
    const text = JSON.stringify(deployment);
    expect(text).not.toContain('s3cr3t-value');
    expect(text).not.toContain(Buffer.from('s3cr3t-value').toString('base64'));
    const containers = (deployment.spec as { template: { spec: { containers: { env: { name: string; value?: string; valueFrom?: unknown }[] }[] } } }).template.spec.containers;
    expect(containers[0]!.env).toContainEqual({ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'web-env', key: 'DB_PASSWORD' } } });
    expect(containers[0]!.env).toContainEqual({ name: 'PLAIN', value: 'visible' });
    expect(containers[0]!.env).toContainEqual({ name: 'PORT', value: '3000' });
    const secret = secretObject('web-env', 'ns', {}, data.values);
    expect(secret).toMatchObject({ kind: 'Secret', data: { DB_PASSWORD: Buffer.from('s3cr3t-value').toString('base64') } });
    expect(secretData([service.env], {})).toEqual({ values: {}, missing: ['db/password'] });
  });

  it('maps replicas, probes, init steps, sidecars, resources and volumes onto the Deployment', () => {
    const service = withImage({
      replicas: 3,
      readiness: probe('http', { path: '/ready', period: '500ms' }),
      liveness: probe('tcp', { successThreshold: 2 }),
      initContainers: [{ name: 'migrate', command: 'npm run migrate' }],
      sidecars: [{ name: 'proxy', image: 'envoy:1', ports: [{ port: 9901, protocol: 'http' }] }],
      resources: { requests: { cpu: '250m', memory: '128Mi' }, limits: { memory: '256Mi' } },
      volumes: [
        { name: 'data', mountPath: '/data', type: 'persistent', readOnly: false },
        { name: 'tmp', mountPath: '/tmp', type: 'ephemeral', readOnly: false },
      ],
    });
    const d = deploymentObject({ namespace: 'ns', env, service, image: 'shop/web:1', specHash: 'abc', commit: 'c' }) as unknown as {
      metadata: { labels: Record<string, string> };
      spec: { replicas: number; selector: unknown; template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[]; initContainers: Record<string, unknown>[] } } };
    };
    expect(d.spec.replicas).toBe(3);
    expect(d.metadata.labels).toMatchObject({ 'dev.slipway.workspace': 'team', 'dev.slipway.app': 'shop', 'dev.slipway.env': 'pr-42', 'dev.slipway.service': 'web', 'dev.slipway.spec-hash': 'abc' });
    expect(d.spec.selector).toEqual({ matchLabels: { 'dev.slipway.service': 'web' } });
    const [main, sidecar] = d.spec.template.spec.containers;
    expect(main).toMatchObject({
      image: 'shop/web:1',
      readinessProbe: { httpGet: { path: '/ready', port: 3000 }, periodSeconds: 1 },
      livenessProbe: { tcpSocket: { port: 3000 }, successThreshold: 1 },
      resources: { requests: { cpu: '250m', memory: '128Mi' }, limits: { memory: '256Mi' } },
      volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'tmp', mountPath: '/tmp' }],
    });
    expect(sidecar).toMatchObject({ name: 'proxy', image: 'envoy:1', ports: [{ containerPort: 9901, protocol: 'TCP' }] });
    expect(d.spec.template.spec.initContainers[0]).toMatchObject({ name: 'migrate', image: 'shop/web:1', command: ['/bin/sh', '-c', 'npm run migrate'] });
    expect(d.spec.template.spec.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'web-data' } }, { name: 'tmp', emptyDir: {} }]);
    expect(probeObject(probe('exec', { exec: { command: ['true'] } } as never), undefined, false)).toMatchObject({ exec: { command: ['true'] } });
  });

  it('fronts a service with a ClusterIP Service, or a NodePort one for a router outside the cluster', () => {
    expect(serviceObject('ns', env, withImage(), 'cluster-ip')).toMatchObject({ spec: { type: 'ClusterIP', ports: [{ port: 3000, targetPort: 3000, protocol: 'TCP' }] } });
    expect(serviceObject('ns', env, withImage(), 'node-port')).toMatchObject({ spec: { type: 'NodePort' } });
    expect(serviceObject('ns', env, withImage({ ports: [] }), 'cluster-ip')).toBeUndefined();
  });

  it('names a job run after its run id, so a run is one Job, and bounds it by the job timeout', () => {
    const job = fixtureJob('migrate', { MODE: 'up' }, 90_500);
    expect(jobObjectName('migrate', 'run-1')).toBe(jobObjectName('migrate', 'run-1'));
    expect(jobObjectName('migrate', 'run-1')).not.toBe(jobObjectName('migrate', 'run-2'));
    expect(jobObjectName('x'.repeat(63), 'run-1').length).toBeLessThanOrEqual(63);
    const object = jobObject({ namespace: 'ns', env, job, runId: 'run-1', image: 'shop/web:1', commit: 'c' });
    expect(object).toMatchObject({ kind: 'Job', metadata: { annotations: { 'dev.slipway/run-id': 'run-1' } }, spec: { backoffLimit: 0, activeDeadlineSeconds: 91, template: { spec: { restartPolicy: 'Never' } } } });
  });

  it('maps a cron job onto a CronJob: its schedule, Forbid unless told, the Job spec a run gets, secrets by reference', () => {
    const job = { ...fixtureJob('nightly', { MODE: 'full' }, 60_000), schedule: '0 3 * * *', concurrency: 'forbid' as const, env: { MODE: 'full', TOKEN: { secret: 'api' } } };
    const cron = cronJobObject({ namespace: 'ns', env, job, image: 'reg.example/shop-web@sha256:abc', serviceEnv: { FROM_SERVICE: 'yes' }, commit: 'c', imagePullSecret: 'slipway-registry' }) as unknown as {
      metadata: { name: string; labels: Record<string, string> };
      spec: { schedule: string; concurrencyPolicy: string; jobTemplate: { metadata: { labels: Record<string, string> }; spec: { backoffLimit: number; activeDeadlineSeconds: number; template: { spec: Record<string, unknown> & { containers: { image: string; env: unknown[] }[] } } } } };
    };
    expect(cron).toMatchObject({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly', labels: { 'dev.slipway.env': 'pr-42', 'dev.slipway.cronjob': 'nightly' } } });
    expect(cron.spec).toMatchObject({ schedule: '0 3 * * *', concurrencyPolicy: 'Forbid' });
    expect(cron.spec.jobTemplate.metadata.labels['dev.slipway.cronjob']).toBe('nightly');
    expect(cron.spec.jobTemplate.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 60, template: { spec: { restartPolicy: 'Never', imagePullSecrets: [{ name: 'slipway-registry' }] } } });
    const [container] = cron.spec.jobTemplate.spec.template.spec.containers;
    expect(container!.image).toBe('reg.example/shop-web@sha256:abc');
    expect(container!.env).toEqual([
      { name: 'FROM_SERVICE', value: 'yes' },
      { name: 'MODE', value: 'full' },
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'nightly.cronjob', key: 'TOKEN' } } },
    ]);
    expect(cronJobObject({ namespace: 'ns', env, job: { ...job, concurrency: 'replace' }, image: 'i', commit: 'c' })).toMatchObject({ spec: { concurrencyPolicy: 'Replace' } });
    expect(cronJobObject({ namespace: 'ns', env, job: { ...job, concurrency: undefined }, image: 'i', commit: 'c' })).toMatchObject({ spec: { concurrencyPolicy: 'Forbid' } });
    // A CronJob's Jobs are named <cron job>-<11 characters>: its own name stays within 52.
    expect(cronJobObject({ namespace: 'ns', env, job: { ...job, name: 'n'.repeat(63) }, image: 'i', commit: 'c' }).metadata.name.length).toBeLessThanOrEqual(52);
    expect(cronJobSecretName('web')).not.toBe(serviceSecretName('web'));
  });

  it('gives pods a dockerconfigjson pull Secret of the registry credentials, and names it from every pod spec', () => {
    const secret = registryPullSecretObject('ns', env, 'registry.example.com', { username: 'ci', password: 'pw-123' });
    expect(secret).toMatchObject({ kind: 'Secret', type: 'kubernetes.io/dockerconfigjson', metadata: { name: 'slipway-registry' } });
    const config = JSON.parse(Buffer.from((secret.data as Record<string, string>)['.dockerconfigjson']!, 'base64').toString()) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(config.auths['registry.example.com']!.auth, 'base64').toString()).toBe('ci:pw-123');
    const deployment = deploymentObject({ namespace: 'ns', env, service: withImage(), image: 'i', specHash: 'h', commit: 'c', imagePullSecret: 'slipway-registry' });
    expect(deployment).toMatchObject({ spec: { template: { spec: { imagePullSecrets: [{ name: 'slipway-registry' }] } } } });
    expect(JSON.stringify(deployment)).not.toContain('pw-123');
    expect(jobObject({ namespace: 'ns', env, job: fixtureJob('j', {}), runId: 'r', image: 'i', commit: 'c', imagePullSecret: 'slipway-registry' })).toMatchObject({ spec: { template: { spec: { imagePullSecrets: [{ name: 'slipway-registry' }] } } } });
    expect(JSON.stringify(deploymentObject({ namespace: 'ns', env, service: withImage(), image: 'i', specHash: 'h', commit: 'c' }))).not.toContain('imagePullSecrets');
  });

  it('runs a static site as its image\'s server on port 8080, without the build\'s variables', () => {
    const site = fixtureService('site', { run: undefined, static: { output: 'dist', spa: false }, env: { TOKEN: { secret: 'x' } }, replicas: 2 });
    expect(staticSiteService(site)).toMatchObject({ name: 'site', ports: [{ port: 8080 }], env: {}, replicas: 2, sidecars: [], initContainers: [] });
    expect(staticSiteService(site).static).toBeUndefined();
    expect(unmappable(site)).toBeUndefined();
  });

  it('refuses what cannot run on a cluster, naming the field', () => {
    expect(unmappable(fixtureService('web'))).toMatchObject({ path: 'services.web.run', message: expect.stringContaining('kubernetes runtime runs containers') });
    const repo = withImage({ volumes: [{ name: 'src', mountPath: '/src', type: 'repo', source: '.', readOnly: true }] });
    expect(unmappable(repo)).toMatchObject({ path: 'services.web.volumes[0].type', message: expect.stringContaining('repo volume') });
    expect(unmappable(withImage())).toBeUndefined();
  });
});
