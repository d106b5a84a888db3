import { describe, expect, it } from 'vitest';
import type { ApplicationManifest, RenderSettings } from '@slipway/contract';
import { loadManifestText } from '../manifest/load-manifests.ts';
import { renderEnvironment } from './render-environment.ts';

const settings: RenderSettings = { domain: 'slipway.localhost', scheme: 'http', routerPort: 8080, defaultRuntime: 'local' };

function app(yaml: string): ApplicationManifest {
  const result = loadManifestText(yaml, 'app.yaml');
  expect(result.errors).toEqual([]);
  return result.value![0]!.manifest as ApplicationManifest;
}

const shop = app(`
apiVersion: slipway.dev/v1
kind: Application
metadata: { name: shop }
spec:
  services:
    - name: web
      static: { build: node build.mjs, output: dist, workdir: web }
      hostnames: ["shop-\${env_id}.\${domain}"]
    - name: api
      run: { command: node server.mjs, workdir: api }
      ports: [{ port: 3000 }]
      env: { LOG_LEVEL: debug, STRIPE_KEY: { secret: stripe } }
      dependsOn: [db, { name: migrate, condition: completed }]
    - name: db
      run: { command: ./run-db.sh }
      ports: [{ port: 5432, protocol: tcp }]
  jobs:
    - { name: migrate, fromService: api, command: node migrate.mjs, timeout: 2m, dependsOn: [db] }
  cronJobs:
    - { name: report, fromService: api, command: node report.mjs, schedule: "0 * * * *" }
  routing:
    rules:
      - { hostnames: ["shop-\${env_id}.\${domain}"], path: /api, service: api }
    ingress: { maxBodySize: 1Mi }
  env:
    defaults: { LOG_LEVEL: info, DB_HOST: db }
    mapping:
      DATABASE_URL: "postgres://\${DB_HOST}:5432/\${DB_NAME:-shop}"
      PUBLIC_API: "\${API_URL}/v1"
      CALLBACK: "\${PUBLIC_API}/callback"
  environmentTemplates:
    - name: ephemeral
      ttl: 48h
      services: [{ name: api, replicas: 1, env: { LOG_LEVEL: trace } }]
    - name: production
      services: [{ name: api, replicas: 3 }]
      env: { defaults: { DB_NAME: shop_prod } }
`);

describe('rendering an environment', () => {
  const rendered = renderEnvironment(shop, { id: 'pr-42', kind: 'ephemeral', branch: 'feature/x', commit: '0123456789abcdef' }, settings);
  const env = rendered.value!;
  const api = env.services.find((s) => s.name === 'api')!;

  it('resolves hostnames and URLs with the router port', () => {
    expect(rendered.errors).toEqual([]);
    expect(env.services.find((s) => s.name === 'web')!.hostnames).toEqual(['shop-pr-42.slipway.localhost']);
    expect(api.hostnames).toEqual(['api-pr-42.slipway.localhost']);
    expect(env.services.find((s) => s.name === 'db')!.hostnames).toEqual([]);
    expect(env.urls).toEqual({ web: 'http://shop-pr-42.slipway.localhost:8080', api: 'http://api-pr-42.slipway.localhost:8080' });
  });

  it('computes routes, rules before whole-host routes, longest prefix first', () => {
    expect(env.routes.map((r) => [r.host, r.pathPrefix, r.service, r.port ?? null, r.static])).toEqual([
      ['api-pr-42.slipway.localhost', '/', 'api', 3000, false],
      ['shop-pr-42.slipway.localhost', '/api', 'api', 3000, false],
      ['shop-pr-42.slipway.localhost', '/', 'web', null, true],
    ]);
    expect(env.routes[0]!.ingress).toEqual({ public: true, timeoutMs: 60_000, connectTimeoutMs: 5_000, maxBodyBytes: 1024 * 1024 });
  });

  it('injects Slipway variables, layers defaults, service values and template overrides, then maps', () => {
    expect(api.env).toMatchObject({
      SLIPWAY_ENV_ID: 'pr-42',
      SLIPWAY_APP: 'shop',
      SLIPWAY_BRANCH: 'feature/x',
      SLIPWAY_COMMIT_SHA: '0123456789abcdef',
      SLIPWAY_COMMIT_SHORT: '0123456',
      WEB_URL: 'http://shop-pr-42.slipway.localhost:8080',
      WEB_HOST: 'shop-pr-42.slipway.localhost',
      API_URL: 'http://api-pr-42.slipway.localhost:8080',
      LOG_LEVEL: 'trace',
      DATABASE_URL: 'postgres://db:5432/shop',
      PUBLIC_API: 'http://api-pr-42.slipway.localhost:8080/v1',
      CALLBACK: 'http://api-pr-42.slipway.localhost:8080/v1/callback',
    });
    expect(api.env.STRIPE_KEY).toEqual({ secret: 'stripe' });
    expect(env.services.find((s) => s.name === 'db')!.env.LOG_LEVEL).toBe('info');
  });

  it("gives a job its service's variables", () => {
    const migrate = env.jobs[0]!;
    expect(migrate.env.STRIPE_KEY).toEqual({ secret: 'stripe' });
    expect(migrate.timeoutMs).toBe(120_000);
    expect(env.cronJobs[0]).toMatchObject({ name: 'report', schedule: '0 * * * *', concurrency: 'forbid' });
  });

  it('derives setup and patch from dependsOn, and a teardown that removes the environment', () => {
    const steps = (name: 'setup' | 'patch' | 'teardown') => env.workflows[name].map((s) => s.tasks.map((t) => ('name' in t ? `${t.kind}:${t.name}` : t.kind)));
    expect(steps('setup')).toEqual([['service:web', 'service:db'], ['job:migrate'], ['service:api']]);
    expect(steps('patch')).toEqual(steps('setup'));
    expect(steps('teardown')).toEqual([['remove-environment']]);
    expect(env.workflows.setup.every((s) => s.haltOnError && s.waitForFinish)).toBe(true);
  });

  it('applies the ephemeral template: ttl and overrides', () => {
    expect(env.template).toBe('ephemeral');
    expect(env.ttlMs).toBe(48 * 3_600_000);
  });

  it('applies a template named like a permanent environment', () => {
    const prod = renderEnvironment(shop, { id: 'production', kind: 'permanent', branch: 'main' }, settings).value!;
    expect(prod.template).toBe('production');
    expect(prod.ttlMs).toBeUndefined();
    expect(prod.services.find((s) => s.name === 'api')!.replicas).toBe(3);
    expect(prod.services.find((s) => s.name === 'api')!.env.DATABASE_URL).toBe('postgres://db:5432/shop_prod');
    expect(prod.services.find((s) => s.name === 'api')!.env.SLIPWAY_COMMIT_SHORT).toBe('');
  });

  it('lets a mapping read the value beneath itself, as an override with a fallback', () => {
    const selfRef = app(`
apiVersion: slipway.dev/v1
kind: Application
metadata: { name: selfref }
spec:
  services: [{ name: api, image: x }]
  env:
    mapping:
      LOG_LEVEL: "\${LOG_LEVEL:-info}"
      A: "a\${B}"
      B: "b\${A:-0}"
`);
    const plain = renderEnvironment(selfRef, { id: 'x', kind: 'ephemeral', branch: 'x' }, settings).value!.services[0]!.env;
    expect(plain).toMatchObject({ LOG_LEVEL: 'info', A: 'ab0', B: 'b0' });
    const set = renderEnvironment(selfRef, { id: 'x', kind: 'ephemeral', branch: 'x' }, settings, { variables: { LOG_LEVEL: 'debug' } }).value!;
    expect(set.services[0]!.env.LOG_LEVEL).toBe('debug');
  });

  it('lets per-environment variables win', () => {
    const staging = renderEnvironment(shop, { id: 'staging', kind: 'permanent', branch: 'main' }, settings, { variables: { DB_HOST: 'staging-db' } }).value!;
    expect(staging.template).toBe('permanent');
    expect(staging.services.find((s) => s.name === 'api')!.env.DATABASE_URL).toBe('postgres://staging-db:5432/shop');
  });

  it('is deterministic', () => {
    const again = renderEnvironment(shop, { id: 'pr-42', kind: 'ephemeral', branch: 'feature/x', commit: '0123456789abcdef' }, settings);
    expect(JSON.stringify(again.value)).toBe(JSON.stringify(env));
  });

  it('omits the port from URLs on the scheme default port, and uses the server default runtime', () => {
    const plain = renderEnvironment(shop, { id: 'main', kind: 'permanent', branch: 'main' }, { ...settings, routerPort: 80, defaultRuntime: 'docker' }).value!;
    expect(plain.urls.api).toBe('http://api-main.slipway.localhost');
    expect(plain.runtime).toBe('docker');
  });

  it('refuses an unknown template and a bad environment id, rendering nothing', () => {
    const missing = renderEnvironment(shop, { id: 'qa', kind: 'permanent', branch: 'main', template: 'qa' }, settings);
    expect(missing.value).toBeUndefined();
    expect(missing.errors[0]!.message).toBe('application "shop" has no environment template "qa"; it has ephemeral, production');
    expect(renderEnvironment(shop, { id: 'Feature/X', kind: 'ephemeral', branch: 'x' }, settings).errors[0]!.message).toMatch(/must be a lowercase DNS label/);
  });

  it('expands services.all and keeps written workflows in order', () => {
    const custom = app(`
apiVersion: slipway.dev/v1
kind: Application
metadata: { name: two }
spec:
  services:
    - { name: a, image: x }
    - { name: b, image: y }
  jobs:
    - { name: seed, fromService: a, command: s }
  workflows:
    setup:
      steps:
        - { name: start, tasks: [services.all] }
        - { tasks: [jobs.seed], haltOnError: false }
    teardown:
      steps:
        - tasks: [jobs.seed]
        - tasks: [environment.remove]
`);
    const out = renderEnvironment(custom, { id: 'x', kind: 'ephemeral', branch: 'x' }, settings).value!;
    expect(out.workflows.setup).toEqual([
      { name: 'start', tasks: [{ kind: 'service', name: 'a' }, { kind: 'service', name: 'b' }], waitForFinish: true, haltOnError: true },
      { name: 'step-2', tasks: [{ kind: 'job', name: 'seed' }], waitForFinish: true, haltOnError: false },
    ]);
    expect(out.workflows.patch).toEqual(out.workflows.setup);
    expect(out.workflows.teardown.map((s) => s.haltOnError)).toEqual([false, false]);
    expect(out.ttlMs).toBe(72 * 3_600_000);
  });
});
