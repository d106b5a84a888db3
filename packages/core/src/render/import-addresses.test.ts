import { describe, expect, it } from 'vitest';
import type { ApplicationManifest } from '@slipway/contract';
import { renderEnvironment } from './render-environment.ts';
import { importedAddresses } from './import-addresses.ts';

const service = (name: string, env: Record<string, string> = {}) => ({ name, image: name, ports: [{ port: 80, protocol: 'http' }], dependsOn: [], env, initContainers: [], sidecars: [], replicas: 1, volumes: [] });
const manifest = {
  apiVersion: 'slipway.dev/v1',
  kind: 'Application',
  metadata: { name: 'frontend' },
  spec: {
    services: [service('web', { ADMIN_URL: 'http://admin.example' }), service('api'), { ...service('worker'), ports: [] }],
    jobs: [{ name: 'seed', fromService: 'web', command: 'seed', timeout: '1m', haltOnError: true, dependsOn: [], env: {} }],
    cronJobs: [],
    workflows: {},
    routing: { rules: [] },
    // A mapping that reads an imported service's URL, and one that reads itself.
    env: { mapping: { SEARCH_ENDPOINT: '${SEARCH_URL}/v1', SEARCH_HOST: '${SEARCH_HOST}.' } },
    environmentTemplates: [],
    appImports: [],
    datasets: [],
  },
} as unknown as ApplicationManifest;

const settings = { domain: 'test', scheme: 'http' as const, defaultRuntime: 'local' as const };
const router = {
  search: 'http://search-pr-1-backend.test',
  admin: 'http://admin-pr-1-backend.test',
  api: 'http://api-pr-1-backend.test',
  worker: 'http://worker-pr-1-backend.test',
  mail: 'http://mail-pr-1-backend.test',
};
const render = (imported: ReturnType<typeof importedAddresses>, variables: Record<string, string> = {}) =>
  renderEnvironment(manifest, { id: 'pr-1', kind: 'ephemeral', branch: 'x' }, settings, { imported, variables }).value!;

describe('importedAddresses', () => {
  it('gives a directly reached service its http://host:port, host and port, a non-HTTP one no URL, and one reached through the router its router URL and host', () => {
    expect(
      importedAddresses([
        { service: 'search', routerUrl: router.search, direct: { host: 'search', port: 9200, http: true } },
        { service: 'db', direct: { host: 'db', port: 5432, http: false } },
        { service: 'mail', routerUrl: router.mail },
        { service: 'search', direct: { host: 'search.other', port: 80, http: true } },
      ]),
    ).toEqual({
      search: { url: 'http://search:9200', host: 'search', port: 9200 },
      db: { host: 'db', port: 5432 },
      mail: { url: router.mail, host: 'mail-pr-1-backend.test' },
    });
  });
});

describe('rendering with imported addresses', () => {
  const direct = importedAddresses([
    { service: 'search', routerUrl: router.search, direct: { host: '127.0.0.1', port: 41234, http: true } },
    { service: 'db', direct: { host: 'db', port: 5432, http: false } },
    { service: 'api', routerUrl: router.api, direct: { host: 'api.backend', port: 3000, http: true } },
    { service: 'worker', routerUrl: router.worker, direct: { host: 'worker.backend', port: 3000, http: true } },
    { service: 'admin', routerUrl: router.admin, direct: { host: 'admin', port: 3000, http: true } },
  ]);
  const rendered = render(direct, { DB_PORT: '6543' });

  it('gives services and jobs the direct addresses, and env.mapping reads them', () => {
    for (const env of [rendered.services[0]!.env, rendered.jobs[0]!.env]) {
      expect(env).toMatchObject({ SEARCH_URL: 'http://127.0.0.1:41234', SEARCH_PORT: '41234', SEARCH_ENDPOINT: 'http://127.0.0.1:41234/v1', SEARCH_HOST: '127.0.0.1.', DB_HOST: 'db' });
      expect(env.DB_URL).toBeUndefined();
    }
    // Rendered with the router's addresses, as before the imports are linked, the mapping reads those.
    const before = render(importedAddresses([{ service: 'search', routerUrl: router.search }]));
    expect(before.services[0]!.env).toMatchObject({ SEARCH_URL: router.search, SEARCH_ENDPOINT: `${router.search}/v1` });
    expect(before.services[0]!.env.SEARCH_PORT).toBeUndefined();
  });

  it("leaves the importer's own services of the same name — with a port or without — and values the manifest or environment set", () => {
    const web = rendered.services.find((s) => s.name === 'web')!.env;
    expect(web.API_URL).toBe(rendered.urls.api);
    expect(web.API_PORT).toBeUndefined();
    expect(web.WORKER_HOST).toBeUndefined();
    expect(web.ADMIN_URL).toBe('http://admin.example');
    expect(web.ADMIN_HOST).toBe('admin');
    expect(web.DB_PORT).toBe('6543');
  });
});
