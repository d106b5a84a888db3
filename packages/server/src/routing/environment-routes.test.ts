import { describe, expect, it } from 'vitest';
import type { RenderedEnvironment, ResolvedRoute } from '@slipway/contract';
import type { InstanceStatus } from '@slipway/core';
import { environmentRoutes } from './environment-routes.ts';

const ingress = { public: true } as ResolvedRoute['ingress'];
const route: ResolvedRoute = { host: 'docs-main.slipway.localhost', pathPrefix: '/', service: 'site', static: true, stripPrefix: false, ingress };
const rendered = {
  app: 'docs',
  envId: 'main',
  routes: [route],
  services: [{ name: 'site', static: { output: 'dist', spa: true }, ports: [] }],
} as unknown as RenderedEnvironment;
const env = { workspace: 'default', app: 'docs', envId: 'main' };
const instance = (state: InstanceStatus['state']): InstanceStatus => ({
  env,
  service: 'site',
  replica: 0,
  name: 'site-0',
  state,
  specHash: 'h',
  endpoints: [{ port: 8080, host: 'site.slipway-default-docs-main.svc.cluster.local', hostPort: 8080 }],
  restarts: 0,
});

describe('environment routes of a static site', () => {
  it('serve the folder the runtime built when there is one', () => {
    expect(environmentRoutes(rendered, [], { site: '/srv/dist' }, 'running').map((e) => e.target)).toEqual([{ kind: 'static', root: '/srv/dist', spa: true }]);
  });

  it('point at the instances of a runtime that serves the site itself (kubernetes), as any service', () => {
    expect(environmentRoutes(rendered, [instance('ready')], {}, 'running').map((e) => e.target)).toEqual([
      { kind: 'upstream', addresses: [{ host: 'site.slipway-default-docs-main.svc.cluster.local', port: 8080 }], stripPrefix: false },
    ]);
    expect(environmentRoutes(rendered, [instance('starting')], {}, 'deploying').map((e) => e.target)).toEqual([{ kind: 'deploying' }]);
  });

  it('answer "deploying" while neither a folder nor an instance exists, and nothing after', () => {
    expect(environmentRoutes(rendered, [], {}, 'deploying').map((e) => e.target)).toEqual([{ kind: 'deploying' }]);
    expect(environmentRoutes(rendered, [], {}, 'running')).toEqual([]);
  });
});

describe('environment routes of a paused environment', () => {
  it('answer "paused" on every route, whatever its instances and static folders', () => {
    expect(environmentRoutes(rendered, [instance('ready')], { site: '/srv/dist' }, 'paused').map((e) => e.target)).toEqual([{ kind: 'paused' }]);
    expect(environmentRoutes(rendered, [], {}, 'paused').map((e) => e.target)).toEqual([{ kind: 'paused' }]);
  });

  it('let the first request wake it when its pause said so', () => {
    expect(environmentRoutes(rendered, [instance('stopped')], {}, 'paused', { wake: true }).map((e) => e.target)).toEqual([{ kind: 'paused', wake: true }]);
    expect(environmentRoutes(rendered, [instance('ready')], {}, 'running', { wake: true }).map((e) => e.target)).toEqual([
      { kind: 'upstream', addresses: [{ host: 'site.slipway-default-docs-main.svc.cluster.local', port: 8080 }], stripPrefix: false },
    ]);
  });

  it('leave out routes that are not public', () => {
    const hidden = { ...rendered, routes: [{ ...route, ingress: { ...ingress, public: false } }] } as RenderedEnvironment;
    expect(environmentRoutes(hidden, [], {}, 'paused')).toEqual([]);
  });
});
