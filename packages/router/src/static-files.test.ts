import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteTableEntry } from '@slipway/contract';
import { RouteTable } from './route-table.ts';
import { startRouter, type RunningRouter } from './start-router.ts';
import { send, testIngress } from './test-support/network.ts';

let base: string;
let router: RunningRouter;

function staticRoute(host: string, root: string, spa: boolean, pathPrefix = '/'): RouteTableEntry {
  return { host, pathPrefix, app: 'docs', envId: 'main', target: { kind: 'static', root, spa }, ingress: testIngress };
}

/** Sends a request path exactly as written: Node's client would not normalise it, but be explicit. */
async function rawGet(host: string, path: string): Promise<string> {
  const socket = connect(router.port, '127.0.0.1');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  let answer = '';
  for await (const chunk of socket) answer += String(chunk);
  return answer;
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'slipway-static-'));
  const site = join(base, 'site');
  await mkdir(join(site, 'assets'), { recursive: true });
  await mkdir(join(site, 'guide'), { recursive: true });
  await writeFile(join(site, 'index.html'), '<h1>home</h1>');
  await writeFile(join(site, 'guide', 'index.html'), '<h1>guide</h1>');
  await writeFile(join(site, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(site, 'assets', 'style.css'), 'body{}');
  await writeFile(join(site, '.env'), 'SECRET=1');
  await writeFile(join(base, 'secret.txt'), 'outside the root');
  await symlink(join(base, 'secret.txt'), join(site, 'escape.txt'));
  await symlink(join(site, 'assets', 'app.js'), join(site, 'alias.js'));
  const table = new RouteTable();
  table.upsertEnvironment('docs', 'main', [staticRoute('docs.test', site, false)]);
  table.upsertEnvironment('spa', 'main', [{ ...staticRoute('spa.test', site, true), app: 'spa' }]);
  table.upsertEnvironment('mixed', 'main', [{ ...staticRoute('mixed.test', site, false, '/docs'), app: 'mixed' }]);
  router = await startRouter({ table, port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await router.close();
  await rm(base, { recursive: true, force: true });
});

describe('static sites', () => {
  it('serves files with content types, length and validators, and index.html for folders', async () => {
    const js = await send(router.port, { host: 'docs.test', path: '/assets/app.js' });
    expect(js.status).toBe(200);
    expect(js.body).toBe('console.log(1)');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['content-length']).toBe('14');
    expect(js.headers.etag).toMatch(/^W\/"/);
    expect(js.headers['last-modified']).toBeDefined();
    expect((await send(router.port, { host: 'docs.test', path: '/assets/style.css' })).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await send(router.port, { host: 'docs.test', path: '/' })).body).toBe('<h1>home</h1>');
    expect((await send(router.port, { host: 'docs.test', path: '/guide/' })).body).toBe('<h1>guide</h1>');
    expect((await send(router.port, { host: 'docs.test', path: '/assets/app%2Ejs' })).body).toBe('console.log(1)');
    expect((await send(router.port, { host: 'docs.test', path: '/alias.js' })).body).toBe('console.log(1)');
    const revalidated = await send(router.port, { host: 'docs.test', path: '/assets/app.js', headers: { 'if-none-match': js.headers.etag! } });
    expect(revalidated.status).toBe(304);
    expect(revalidated.body).toBe('');
    const head = await send(router.port, { host: 'docs.test', path: '/assets/app.js', method: 'HEAD' });
    expect(head.headers['content-length']).toBe('14');
    expect((await send(router.port, { host: 'docs.test', path: '/', method: 'POST' })).status).toBe(405);
  });

  it('serves a site under a path prefix from its root', async () => {
    expect((await send(router.port, { host: 'mixed.test', path: '/docs/assets/app.js' })).body).toBe('console.log(1)');
    expect((await send(router.port, { host: 'mixed.test', path: '/docs' })).body).toBe('<h1>home</h1>');
  });

  it('refuses every way out of the root: "..", encoded "..", backslashes, symlinks, dotfiles', async () => {
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/assets/%2E%2E%2F%2E%2E%2Fsecret.txt', '/..%5csecret.txt', '/escape.txt', '/.env', '/%00']) {
      const answer = await rawGet('docs.test', path);
      expect(answer, path).toMatch(/^HTTP\/1.1 40[04]/);
      expect(answer, path).not.toContain('outside the root');
      expect(answer, path).not.toContain('SECRET');
    }
    expect(await rawGet('docs.test', '/%E0%A4%A')).toMatch(/^HTTP\/1.1 400/);
  });

  it('answers 404 for a missing file, or the app shell for a single-page app', async () => {
    expect((await send(router.port, { host: 'docs.test', path: '/missing' })).status).toBe(404);
    const shell = await send(router.port, { host: 'spa.test', path: '/users/42?tab=posts' });
    expect(shell.status).toBe(200);
    expect(shell.body).toBe('<h1>home</h1>');
    expect(shell.headers['content-type']).toMatch(/text\/html/);
    // Even for an SPA, nothing escapes the root.
    expect(await rawGet('spa.test', '/escape.txt')).not.toContain('outside the root');
  });
});
