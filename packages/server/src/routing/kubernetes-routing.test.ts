// Real HTTP through Slipway's router into pods on the test cluster's real node: the kubernetes
// driver deploys the conformance fixture (two replicas) with `exposure: 'pod-ip'`, the server's
// environmentRoutes turns its instances into route table entries, and the router on this host
// forwards requests by Host to the pods' IPs on the node's bridge. Runs under `npm run
// test:kubernetes` (which sets SLIPWAY_TEST_KUBECONFIG and the node's kind and image); skips, saying
// so, elsewhere or on kwok's simulated node, whose pods run no container.
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RenderedEnvironment, ResolvedService } from '@slipway/contract';
import { createKubernetesDriver } from '@slipway/drivers';
import { RouteTable, startRouter } from '@slipway/router';
import { environmentRoutes } from './environment-routes.ts';

const kubeconfig = process.env.SLIPWAY_TEST_KUBECONFIG;
const image = process.env.SLIPWAY_TEST_KUBE_IMAGE;
const skipReason = !kubeconfig
  ? 'no test cluster: `npm run test:kubernetes` starts one and runs this test against it'
  : process.env.SLIPWAY_TEST_KUBE_NODE !== 'real'
    ? "the test cluster's node is kwok's simulated one, whose pods run no container"
    : undefined;
const suite = skipReason ? describe.skip : describe;

function send(port: number, host: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

suite(`the router in front of pods on a real node${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'slipway-kube-route-'));
  const env = { workspace: 'routing', app: 'shop', envId: `route-${process.pid}` };
  const driver = kubeconfig ? createKubernetesDriver({ stateDir, kubeconfig, exposure: 'pod-ip', ownerTag: `route${process.pid}`, namespacePrefix: 'sw' }) : undefined;

  afterAll(async () => {
    if (driver) {
      await driver.destroy({ env });
      await driver.close();
    }
    rmSync(stateDir, { recursive: true, force: true });
  }, 150_000);

  it('forwards by Host to the ready pods at their IPs, spreading over both replicas', async () => {
    const web: ResolvedService = {
      name: 'web',
      image: image!,
      command: ['/usr/bin/node', 'server.mjs'],
      ports: [{ port: 3000, protocol: 'http' }],
      env: { VERSION: 'routed' },
      dependsOn: [],
      readiness: { initialDelay: '0s', period: '500ms', timeout: '1s', failureThreshold: 3, successThreshold: 1, http: { path: '/ready' } },
      initContainers: [],
      sidecars: [],
      replicas: 2,
      volumes: [],
      hostnames: [],
      ingress: { public: true, timeoutMs: 10_000, connectTimeoutMs: 3_000, maxBodyBytes: 1_000_000 },
    };
    const applied = await driver!.apply({ env, commit: 'c0ffee', services: [web], waitFor: 'ready', timeoutMs: 90_000 });
    if (applied.outcome !== 'succeeded') throw new Error(`apply ${applied.outcome}: ${applied.reason}\n${applied.logTail ?? ''}`);
    const instances = await driver!.instances(env);
    expect(instances.map((i) => i.state)).toEqual(['ready', 'ready']);
    // Pod IPs on the node's bridge, not loopback: the router reaches them across it.
    for (const i of instances) expect(i.endpoints[0]).toMatchObject({ port: 3000, hostPort: 3000, host: expect.not.stringMatching(/^127\./) });

    const host = 'web-route.shop.test';
    const rendered = {
      app: env.app,
      envId: env.envId,
      services: [web],
      routes: [{ host, pathPrefix: '/', service: 'web', static: false, stripPrefix: false, ingress: web.ingress }],
    } as Pick<RenderedEnvironment, 'app' | 'envId' | 'services' | 'routes'> as RenderedEnvironment;
    const entries = environmentRoutes(rendered, instances, {}, 'running');
    expect(entries).toHaveLength(1);
    expect(entries[0]!.target).toMatchObject({ kind: 'upstream', addresses: instances.map((i) => ({ host: i.endpoints[0]!.host, port: 3000 })) });
    const table = new RouteTable();
    table.upsertEnvironment(env.app, env.envId, entries);
    const router = await startRouter({ table, port: 0, host: '127.0.0.1' });
    try {
      const hosts = new Set<string>();
      for (let n = 0; n < 12; n++) {
        const answer = await send(router.port, host, '/whoami');
        expect(answer.status).toBe(200);
        const body = JSON.parse(answer.body) as { version: string; port: number; host: string; cwd: string };
        expect(body).toMatchObject({ version: 'routed', port: 3000, cwd: '/app' });
        hosts.add(body.host);
      }
      // Each answer names its pod (the container's host name): both replicas took requests.
      expect(hosts.size).toBe(2);
      expect((await send(router.port, 'nothing-here.shop.test', '/')).status).toBe(404);
    } finally {
      await router.close();
    }
  }, 150_000);
});
