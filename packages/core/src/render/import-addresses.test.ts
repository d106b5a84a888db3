import { describe, expect, it } from 'vitest';
import type { ApplicationManifest } from '@slipway/contract';
import { renderEnvironment } from './render-environment.ts';
import { withImportAddresses } from './import-addresses.ts';

const service = (name: string, env: Record<string, string> = {}) => ({ name, image: name, ports: [{ port: 80, protocol: 'http' }], dependsOn: [], env, initContainers: [], sidecars: [], replicas: 1, volumes: [] });
const manifest = {
  apiVersion: 'slipway.dev/v1',
  kind: 'Application',
  metadata: { name: 'frontend' },
  spec: {
    services: [service('web', { ADMIN_URL: 'http://admin.example' }), service('api')],
    jobs: [{ name: 'seed', fromService: 'web', command: 'seed', timeout: '1m', haltOnError: true, dependsOn: [], env: {} }],
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
const imported = {
  search: { url: 'http://search-pr-1-backend.test', host: 'search-pr-1-backend.test' },
  admin: { url: 'http://admin-pr-1-backend.test', host: 'admin-pr-1-backend.test' },
  api: { url: 'http://api-pr-1-backend.test', host: 'api-pr-1-backend.test' },
};

describe('withImportAddresses', () => {
  const rendered = renderEnvironment(manifest, { id: 'pr-1', kind: 'ephemeral', branch: 'x' }, settings, { imported }).value!;

  it('replaces the router URL and host of an imported service by its direct address, with its port', () => {
    const result = withImportAddresses(rendered, [
      { service: 'search', routerUrl: imported.search.url, direct: { host: 'search', port: 9200, http: true } },
      { service: 'db', direct: { host: 'db', port: 5432, http: false } },
    ]);
    for (const env of [result.services[0]!.env, result.jobs[0]!.env]) {
      expect(env).toMatchObject({ SEARCH_URL: 'http://search:9200', SEARCH_HOST: 'search', SEARCH_PORT: '9200', DB_HOST: 'db', DB_PORT: '5432' });
      expect(env.DB_URL).toBeUndefined();
    }
    expect(rendered.services[0]!.env.SEARCH_URL).toBe(imported.search.url);
  });

  it("leaves the importer's own service of the same name, a value the manifest set, and services with no direct address alone", () => {
    const result = withImportAddresses(rendered, [
      { service: 'api', routerUrl: imported.api.url, direct: { host: 'api.backend', port: 3000, http: true } },
      { service: 'admin', routerUrl: imported.admin.url, direct: { host: 'admin', port: 3000, http: true } },
      { service: 'search', routerUrl: imported.search.url },
    ]);
    const web = result.services.find((s) => s.name === 'web')!.env;
    expect(web.API_URL).toBe(rendered.urls.api);
    expect(web.API_PORT).toBeUndefined();
    expect(web.ADMIN_URL).toBe('http://admin.example');
    expect(web.ADMIN_PORT).toBeUndefined();
    expect(web.SEARCH_URL).toBe(imported.search.url);
  });
});
