import { describe, expect, it } from 'vitest';
import type { ApplicationManifest, RenderSettings } from '@slipway/contract';
import { loadManifestText } from '../manifest/load-manifests.ts';
import { renderEnvironment } from '../render/render-environment.ts';
import { application, diagnosticsOf } from '../test-support/manifest-text.ts';
import { datasetOfSecretRef, definedDatasets } from './datasets.ts';

const services = `
  services:
    - { name: api, image: a, ports: [{ port: 80 }] }
    - { name: worker, image: b }
`;

describe('dataset declarations', () => {
  it('accepts a URL held as a secret or a file, with defaults', () => {
    const text = application(`${services.slice(1)}  datasets:
    - { name: orders, source: { url: { secret: orders-db } }, transform: "UPDATE users SET email = id || '@example.com'" }
    - { name: catalog, source: { file: seed/catalog.sql }, poolSize: 0, optional: true, envPrefix: CATALOG, services: [worker], refresh: "@daily" }
`);
    const loaded = loadManifestText(text, 'app.yaml');
    expect(loaded.errors).toEqual([]);
    const spec = (loaded.value![0]!.manifest as ApplicationManifest).spec;
    expect(spec.datasets[0]).toMatchObject({ name: 'orders', poolSize: 2, optional: false, envPrefix: 'DATABASE' });
    expect(definedDatasets(spec).map((d) => d.name)).toEqual(['orders', 'catalog']);
  });

  it('locates every error: no source, unknown service, bad source, clashing variables, bad schedule', () => {
    const { errors } = diagnosticsOf(
      application(`${services.slice(1)}  datasets:
    - { name: orders }
    - { name: copy, source: { url: postgres://x }, services: [apii] }
    - { name: other, source: { file: a.sql }, poolSize: 100, refresh: "nightly" }
    - { name: clash, source: { file: b.sql }, env: { URL: DATABASE_URL } }
`),
    );
    expect(errors).toEqual([
      'app.yaml:10:7 spec.datasets[0].source: dataset "orders" needs a source: { url: { secret: <name of a secret holding a postgres:// URL> } } or { file: <SQL script or pg_dump archive> }',
      'app.yaml:11:29 spec.datasets[1].source: expected a source: { url: { secret: name } } (a PostgreSQL URL held as a secret) or { file: path } (a SQL script or pg_dump archive), got a mapping',
      'app.yaml:11:63 spec.datasets[1].services[0]: "apii" is not a service or job of this application (did you mean "api"?)',
      'app.yaml:12:57 spec.datasets[2].poolSize: expected a number <= 50, got 100',
      expect.stringMatching(/^app\.yaml:12:71 spec\.datasets\[2\]\.refresh: expected a cron schedule .* got "nightly"$/),
      expect.stringMatching(/^app\.yaml:13:52 spec\.datasets\[3\]\.env: dataset "clash" injects DATABASE_URL, .*DATABASE_PASSWORD, as dataset "other" does; give one of them another envPrefix/),
    ]);
  });

  it('lets a template attach the application\'s dataset by name, and refuses one it does not define', () => {
    const { errors } = diagnosticsOf(
      application(`${services.slice(1)}  datasets:
    - { name: orders, source: { file: a.sql } }
  environmentTemplates:
    - { name: ephemeral, datasets: [{ name: orders }, { name: order }] }
`),
    );
    expect(errors).toEqual([expect.stringMatching(/spec\.environmentTemplates\[0\]\.datasets\[1\]\.name: dataset "order" has no source .*did you mean "orders"/)]);
  });
});

describe('dataset variables', () => {
  const settings: RenderSettings = { domain: 'slipway.localhost', scheme: 'http', routerPort: 8080, defaultRuntime: 'local' };
  it('are references to the environment\'s clone, in the services that asked, under the names mapped', () => {
    const loaded = loadManifestText(
      application(`${services.slice(1)}  jobs:
    - { name: migrate, fromService: api, command: m }
  datasets:
    - { name: orders, source: { file: a.sql }, services: [api, migrate], env: { URL: SPRING_URL } }
  environmentTemplates:
    - { name: ephemeral, datasets: [{ name: orders }] }
`),
      'app.yaml',
    );
    expect(loaded.errors).toEqual([]);
    const manifest = loaded.value![0]!.manifest as ApplicationManifest;
    const rendered = renderEnvironment(manifest, { id: 'pr-1', kind: 'ephemeral', branch: 'b' }, settings).value!;
    const api = rendered.services.find((s) => s.name === 'api')!.env;
    expect(api.SPRING_URL).toEqual({ secret: 'dataset:orders', key: 'URL' });
    expect(api.DATABASE_PASSWORD).toEqual({ secret: 'dataset:orders', key: 'PASSWORD' });
    expect(api.DATABASE_URL).toBeUndefined();
    expect(rendered.services.find((s) => s.name === 'worker')!.env.DATABASE_HOST).toBeUndefined();
    expect(rendered.jobs[0]!.env.DATABASE_NAME).toEqual({ secret: 'dataset:orders', key: 'NAME' });
    expect(rendered.datasets.map((d) => d.source)).toEqual([{ file: 'a.sql' }]);
    expect(datasetOfSecretRef({ secret: 'dataset:orders', key: 'URL' })).toBe('orders');
    expect(datasetOfSecretRef({ secret: 'orders' })).toBeUndefined();
  });
});
