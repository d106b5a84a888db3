import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { testDatabases } from '../test-support/test-databases.ts';
import { createApiToken } from '../store/api-tokens.ts';
import { openDatabase, type StoreDatabase } from '../store/open-database.ts';
import { buildApi } from './build-api.ts';

const manifest = `apiVersion: slipway.dev/v1
kind: Application
metadata: { name: shop }
spec:
  services:
    - name: web
      image: nginx
      ports: [{ port: 80 }]
`;

describe('HTTP API', () => {
  const database = testDatabases()[0]!;
  let store: StoreDatabase;
  let dispose: () => Promise<void>;
  let api: FastifyInstance;
  let auth: { authorization: string };

  beforeEach(async () => {
    const created = await database.create();
    dispose = created.dispose;
    store = await openDatabase(created.location);
    api = await buildApi({ db: store.db });
    auth = { authorization: `Bearer ${(await createApiToken(store.db, { name: 'admin', workspace: 'default', role: 'admin' })).secret}` };
  });
  afterEach(async () => {
    await api.close();
    await store.close();
    await dispose();
  });

  it('refuses every API call without a valid token', async () => {
    const none = await api.inject({ method: 'GET', url: '/api/v1/applications' });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.message).toMatch(/missing API token/);
    const bad = await api.inject({ method: 'POST', url: '/api/v1/applications', headers: { authorization: 'Bearer nope' }, payload: { manifest } });
    expect(bad.statusCode).toBe(401);
    expect((await api.inject({ method: 'GET', url: '/api/v1/applications' , headers: auth })).json()).toEqual({ items: [], nextCursor: null });
  });

  it('registers an application, then a new template version of it', async () => {
    const first = await api.inject({ method: 'POST', url: '/api/v1/applications', headers: auth, payload: { manifest } });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ name: 'shop', workspace: 'default' });
    const same = await api.inject({ method: 'POST', url: '/api/v1/applications', headers: auth, payload: { manifest } });
    expect(same.statusCode).toBe(200);
    await api.inject({ method: 'POST', url: '/api/v1/applications', headers: auth, payload: { manifest: manifest.replace('image: nginx', 'image: nginx:2') } });
    const got = await api.inject({ method: 'GET', url: '/api/v1/applications/shop', headers: auth });
    expect(got.statusCode).toBe(200);
    expect(got.json().versions).toHaveLength(2);
    expect(got.json().currentVersion).toBe(got.json().versions[1].version);
  });

  it('answers an invalid manifest with 400 and located diagnostics, storing nothing', async () => {
    const res = await api.inject({ method: 'POST', url: '/api/v1/applications', headers: auth, payload: { manifest: manifest.replace('port: 80', 'port: http'), file: 'app.yaml' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_input', message: 'app.yaml is not a valid manifest' });
    expect(res.json().error.diagnostics[0]).toMatchObject({ file: 'app.yaml', line: 8, path: 'spec.services[0].ports[0].port' });
    expect((await api.inject({ method: 'GET', url: '/api/v1/applications', headers: auth })).json()).toEqual({ items: [], nextCursor: null });
    const badBody = await api.inject({ method: 'POST', url: '/api/v1/applications', headers: auth, payload: { manifesto: 'x' } });
    expect(badBody.statusCode).toBe(400);
    expect(badBody.json().error.diagnostics.map((d: { message: string }) => d.message).join('\n')).toMatch(/manifesto[\s\S]*either "manifest" or "repository"/);
  });

  it('answers 404 with a suggestion for an unknown application and route', async () => {
    await api.inject({ method: 'POST', url: '/api/v1/applications', headers: auth, payload: { manifest } });
    const res = await api.inject({ method: 'GET', url: '/api/v1/applications/shpo', headers: auth });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toBe('no application "shpo" in workspace default (did you mean "shop"?)');
    expect((await api.inject({ method: 'GET', url: '/api/v1/nothing', headers: auth })).statusCode).toBe(404);
  });

  it('publishes its OpenAPI document, generated from the contract schemas', async () => {
    const res = await api.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/applications', '/api/v1/applications/{name}']));
    expect(doc.paths['/api/v1/applications'].post.requestBody.content['application/json'].schema.properties.manifest.description).toBe('YAML of one Application manifest');
  });
});
