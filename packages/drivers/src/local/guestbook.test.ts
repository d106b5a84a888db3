// The example application through the local driver, as the workflow engine will drive it: a
// temporary git repository of examples/guestbook, checked out by commit sha; the static web build,
// the migrate job, then the api (readiness on /api/health) and the worker.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApplicationManifest } from '@slipway/contract';
import { loadManifestText, renderEnvironment, type EnvironmentRef } from '@slipway/core';
import { commitAll } from '../conformance/fixture-app.ts';
import { processAlive } from '../conformance/runtime-driver-conformance.ts';
import { createLocalDriver, type LocalDriver } from './local-driver.ts';

const example = resolve(fileURLToPath(import.meta.url), '../../../../../examples/guestbook');
const temporary: string[] = [];
let driver: LocalDriver | undefined;

function call(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolvePromise, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, method, path, timeout: 10_000, headers: text ? { 'content-type': 'application/json' } : {} }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (data += chunk));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, json: JSON.parse(data) as unknown }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(text);
  });
}

afterAll(async () => {
  if (driver) {
    await driver.sweep([]);
    await driver.close();
  }
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('the guestbook example on the local driver', () => {
  it('builds the web, migrates, and serves the api from a checkout of a commit', async () => {
    const repository = mkdtempSync(join(tmpdir(), 'slipway-guestbook-repo-'));
    const stateDir = mkdtempSync(join(tmpdir(), 'slipway-guestbook-state-'));
    temporary.push(repository, stateDir);
    cpSync(example, repository, { recursive: true, filter: (source) => !/[/\\](node_modules|dist|data)([/\\]|$)/.test(source.slice(example.length)) });
    const commit = commitAll(repository, 'guestbook');

    const loaded = loadManifestText(readFileSync(join(repository, '.slipway/guestbook.yaml'), 'utf8'), 'guestbook.yaml');
    expect(loaded.errors).toEqual([]);
    const manifest = loaded.value!.find((m) => m.manifest.kind === 'Application')!.manifest as ApplicationManifest;
    const rendered = renderEnvironment(manifest, { id: 'main', kind: 'permanent', branch: 'main', commit }, { domain: 'slipway.localhost', scheme: 'http', defaultRuntime: 'local' });
    expect(rendered.errors).toEqual([]);
    const spec = rendered.value!;
    const env: EnvironmentRef = { workspace: 'examples', app: spec.app, envId: spec.envId };

    driver = createLocalDriver({ stateDir, graceMs: 3_000 });
    const prepared = await driver.prepareSource({ env, repository, commit, services: spec.services });
    if (prepared.outcome !== 'succeeded') throw new Error(`${prepared.reason}\n${prepared.logTail ?? ''}`);
    expect(prepared.commit).toBe(commit);
    expect(existsSync(join(prepared.staticRoots.web!, 'index.html'))).toBe(true);
    expect(JSON.parse(readFileSync(join(prepared.staticRoots.web!, 'build-info.json'), 'utf8'))).toMatchObject({ commit: commit.slice(0, 7) });

    const api = spec.services.find((s) => s.name === 'api')!;
    const migrate = spec.jobs.find((j) => j.name === 'migrate')!;
    const migrated = await driver.runJob({ env, runId: 'setup-1-migrate', commit, job: migrate, service: api });
    expect(migrated).toMatchObject({ outcome: 'succeeded', exitCode: 0 });
    expect(migrated.logTail).toContain('schema version');

    const applied = await driver.apply({ env, commit, services: spec.services, waitFor: 'ready', timeoutMs: 30_000 });
    if (applied.outcome !== 'succeeded') throw new Error(`${applied.reason}\n${applied.logTail ?? ''}`);
    expect(applied.services.map((s) => [s.service, s.action])).toEqual([
      ['web', 'created'],
      ['api', 'created'],
      ['worker', 'created'],
    ]);
    expect(applied.services[0]?.staticRoot).toBe(prepared.staticRoots.web);

    const [apiInstance] = await driver.instances(env, 'api');
    const port = apiInstance!.endpoints[0]!.hostPort;
    expect(await call(port, 'GET', '/api/health')).toEqual({ status: 200, json: { ok: true } });
    expect((await call(port, 'GET', '/api/info')).json).toMatchObject({ envId: 'main', commit });
    expect((await call(port, 'POST', '/api/entries', { name: 'Ada', message: 'hello from the local driver' })).status).toBe(201);
    expect((await call(port, 'GET', '/api/entries')).json).toMatchObject({ entries: [{ name: 'Ada' }] });

    const pids = (await driver.instances(env)).map((i) => Number(i.runtimeId));
    expect(pids).toHaveLength(2);
    await driver.destroy({ env });
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    expect(await driver.listOwned()).toEqual([]);
  }, 60_000);
});
