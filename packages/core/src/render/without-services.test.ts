import { describe, expect, it } from 'vitest';
import type { ApplicationManifest } from '@slipway/contract';
import { renderEnvironment } from './render-environment.ts';
import { withoutServices } from './without-services.ts';

const manifest = {
  apiVersion: 'slipway.dev/v1',
  kind: 'Application',
  metadata: { name: 'shop' },
  spec: {
    services: [
      { name: 'web', image: 'web', ports: [{ port: 80, protocol: 'http' }], dependsOn: [{ name: 'api', condition: 'ready' }], env: {}, initContainers: [], sidecars: [], replicas: 1, volumes: [] },
      { name: 'api', image: 'api', ports: [{ port: 3000, protocol: 'http' }], dependsOn: [{ name: 'migrate', condition: 'completed' }], env: {}, initContainers: [], sidecars: [], replicas: 1, volumes: [] },
    ],
    jobs: [{ name: 'migrate', fromService: 'api', command: 'migrate', timeout: '1m', haltOnError: true, dependsOn: [], env: {} }],
    cronJobs: [],
    workflows: {},
    routing: { rules: [] },
    env: {},
    environmentTemplates: [],
    appImports: [],
    datasets: [],
  },
} as unknown as ApplicationManifest;

const settings = { domain: 'test', scheme: 'http' as const, defaultRuntime: 'local' as const };

describe('withoutServices', () => {
  it('drops the services, their routes, URLs, jobs run from them, their tasks and dependencies on them', () => {
    const rendered = renderEnvironment(manifest, { id: 'pr-1', kind: 'ephemeral', branch: 'x' }, settings).value!;
    const result = withoutServices(rendered, ['api']);
    expect(result.services.map((s) => s.name)).toEqual(['web']);
    expect(result.services[0]!.dependsOn).toEqual([]);
    expect(result.jobs).toEqual([]);
    expect(Object.keys(result.urls)).toEqual(['web']);
    expect(result.routes.every((r) => r.service === 'web')).toBe(true);
    const tasks = result.workflows.setup.flatMap((s) => s.tasks);
    expect(tasks).toEqual([{ kind: 'service', name: 'web' }]);
    expect(withoutServices(rendered, [])).toBe(rendered);
  });

  it('gives imported services URL variables, which a service of the same name overrides', () => {
    const rendered = renderEnvironment(manifest, { id: 'pr-1', kind: 'ephemeral', branch: 'x' }, settings, {
      imported: { backend: { url: 'http://backend-pr-1-b.test', host: 'backend-pr-1-b.test' }, web: { url: 'http://other', host: 'other' } },
    }).value!;
    const env = rendered.services.find((s) => s.name === 'web')!.env;
    expect(env.BACKEND_URL).toBe('http://backend-pr-1-b.test');
    expect(env.BACKEND_HOST).toBe('backend-pr-1-b.test');
    expect(env.WEB_URL).toBe('http://web-pr-1.test');
  });
});
