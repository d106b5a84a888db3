import { request, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { RouteTable } from './route-table.ts';
import { startRouter, type RunningRouter } from './start-router.ts';
import { closedPort, send, startServer, testIngress, upstreamRoute, type TestServer } from './test-support/network.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function upstream(handler: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const server = await startServer(handler);
  cleanups.push(() => server.close());
  return server;
}

async function router(table: RouteTable, options: { drainTimeoutMs?: number } = {}): Promise<RunningRouter> {
  const running = await startRouter({ table, port: 0, host: '127.0.0.1', ...options });
  cleanups.push(() => running.close());
  return running;
}

/** An upstream that answers with what it received, so tests can look at the forwarded request. */
function echo(name: string): Parameters<typeof startServer>[0] {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'keep-alive': 'timeout=77', 'x-upstream': name });
      res.end(JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
    });
  };
}

describe('proxying HTTP', () => {
  it('routes by host and keeps the Host header', async () => {
    const a = await upstream(echo('a'));
    const b = await upstream(echo('b'));
    const table = new RouteTable();
    table.upsertEnvironment('web', 'a', [upstreamRoute('a.slipway.localhost', [a.port], { envId: 'a' })]);
    table.upsertEnvironment('web', 'b', [upstreamRoute('b.slipway.localhost', [b.port], { envId: 'b' })]);
    const { port } = await router(table);
    const fromA = await send(port, { host: 'a.slipway.localhost:8080', path: '/hello?x=1' });
    const fromB = await send(port, { host: 'B.slipway.localhost' });
    expect(fromA.status).toBe(200);
    expect(JSON.parse(fromA.body)).toMatchObject({ name: 'a', url: '/hello?x=1', headers: { host: 'a.slipway.localhost:8080' } });
    expect(JSON.parse(fromB.body).name).toBe('b');
  });

  it('strips the path prefix when asked, picks the longest prefix, and says which prefix it removed', async () => {
    const web = await upstream(echo('web'));
    const api = await upstream(echo('api'));
    const table = new RouteTable();
    table.upsertEnvironment('shop', 'main', [
      upstreamRoute('shop.test', [web.port], { app: 'shop' }),
      upstreamRoute('shop.test', [api.port], { app: 'shop', pathPrefix: '/api', stripPrefix: true }),
    ]);
    const { port } = await router(table);
    const apiAnswer = JSON.parse((await send(port, { host: 'shop.test', path: '/api/users?page=2' })).body);
    expect(apiAnswer).toMatchObject({ name: 'api', url: '/users?page=2', headers: { 'x-forwarded-prefix': '/api' } });
    expect(JSON.parse((await send(port, { host: 'shop.test', path: '/api' })).body).url).toBe('/');
    expect(JSON.parse((await send(port, { host: 'shop.test', path: '/apiary' })).body)).toMatchObject({ name: 'web', url: '/apiary' });
  });

  it('sets X-Forwarded-For/-Proto/-Host, appends to an existing X-Forwarded-For, and strips hop-by-hop headers', async () => {
    const web = await upstream(echo('web'));
    const table = new RouteTable();
    table.upsertEnvironment('web', 'main', [upstreamRoute('web.test', [web.port])]);
    const { port } = await router(table);
    const answer = await send(port, {
      host: 'web.test',
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', connection: 'x-secret, keep-alive', 'x-secret': 'hop', 'proxy-authorization': 'Basic abc', 'x-kept': 'yes' },
    });
    const seen = JSON.parse(answer.body).headers as Record<string, string>;
    expect(seen['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    // Not trusted by default: the router says what the client really used.
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('web.test');
    expect(seen['x-kept']).toBe('yes');
    expect(seen['x-secret']).toBeUndefined();
    expect(seen['proxy-authorization']).toBeUndefined();
    // The upstream's Keep-Alive is about its connection to the router, not the client's.
    expect(answer.headers['keep-alive']).not.toBe('timeout=77');
    expect(answer.headers['x-upstream']).toBe('web');
  });

  it('streams request bodies up and response chunks down before the upstream ends', async () => {
    let finish: (() => void) | undefined;
    const web = await upstream((req, res) => {
      if (req.method === 'POST') {
        echo('web')(req, res);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk\n');
      finish = () => res.end('last chunk\n');
    });
    const table = new RouteTable();
    table.upsertEnvironment('web', 'main', [upstreamRoute('web.test', [web.port])]);
    const { port } = await router(table);

    const chunked = request({ host: '127.0.0.1', port, method: 'POST', path: '/upload', headers: { host: 'web.test' }, agent: false });
    chunked.write('part one, ');
    chunked.end('part two');
    const [uploaded] = (await once(chunked, 'response')) as [IncomingMessage];
    let uploadBody = '';
    for await (const chunk of uploaded) uploadBody += String(chunk);
    expect(JSON.parse(uploadBody)).toMatchObject({ body: 'part one, part two' });

    const streaming = request({ host: '127.0.0.1', port, path: '/stream', headers: { host: 'web.test' }, agent: false });
    streaming.end();
    const [res] = (await once(streaming, 'response')) as [IncomingMessage];
    const [first] = (await once(res, 'data')) as [Buffer];
    // The upstream has not ended its response yet: the first chunk came through on its own.
    expect(String(first)).toBe('first chunk\n');
    expect(finish).toBeDefined();
    finish!();
    let rest = '';
    for await (const chunk of res) rest += String(chunk);
    expect(rest).toBe('last chunk\n');
  });

  it('applies route changes to new requests while an in-flight streaming response finishes on the old route', async () => {
    let finishOld: (() => void) | undefined;
    const oldVersion = await upstream((_req, res) => {
      res.writeHead(200);
      res.write('old ');
      finishOld = () => res.end('done');
    });
    const newVersion = await upstream((_req, res) => res.end('new'));
    const table = new RouteTable();
    table.apply({ type: 'upsert-environment', version: 1, app: 'web', envId: 'main', routes: [upstreamRoute('web.test', [oldVersion.port])] });
    const { port } = await router(table);

    const inFlight = request({ host: '127.0.0.1', port, path: '/', headers: { host: 'web.test' }, agent: false });
    inFlight.end();
    const [res] = (await once(inFlight, 'response')) as [IncomingMessage];
    await once(res, 'data');

    table.apply({ type: 'upsert-environment', version: 2, app: 'web', envId: 'main', routes: [upstreamRoute('web.test', [newVersion.port])] });
    expect((await send(port, { host: 'web.test' })).body).toBe('new');
    finishOld!();
    let rest = '';
    for await (const chunk of res) rest += String(chunk);
    expect(rest).toBe('done');
    expect(res.complete).toBe(true);
  });

  it('balances requests across replicas in turn and fails over from one that refuses connections', async () => {
    const one = await upstream(echo('one'));
    const two = await upstream(echo('two'));
    const down = await closedPort();
    const table = new RouteTable();
    table.upsertEnvironment('web', 'main', [upstreamRoute('web.test', [one.port, two.port])]);
    table.upsertEnvironment('web', 'flaky', [upstreamRoute('flaky.test', [down, one.port], { envId: 'flaky' })]);
    const { port } = await router(table);
    const names: string[] = [];
    for (let i = 0; i < 4; i++) names.push(JSON.parse((await send(port, { host: 'web.test' })).body).name);
    expect(names).toEqual(['one', 'two', 'one', 'two']);
    for (let i = 0; i < 3; i++) {
      const answer = await send(port, { host: 'flaky.test', method: 'POST', body: 'payload' });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ name: 'one', body: 'payload' });
    }
  });

  it('drains in-flight requests on close', async () => {
    let finish: (() => void) | undefined;
    const slow = await upstream((_req, res) => {
      res.writeHead(200);
      res.write('partial ');
      finish = () => res.end('complete');
    });
    const table = new RouteTable();
    table.upsertEnvironment('web', 'main', [upstreamRoute('web.test', [slow.port])]);
    const running = await startRouter({ table, port: 0, host: '127.0.0.1' });
    const inFlight = request({ host: '127.0.0.1', port: running.port, path: '/', headers: { host: 'web.test' }, agent: false });
    inFlight.end();
    const [res] = (await once(inFlight, 'response')) as [IncomingMessage];
    await once(res, 'data');
    const closed = running.close();
    finish!();
    let rest = '';
    for await (const chunk of res) rest += String(chunk);
    expect(rest).toBe('complete');
    await closed;
    await expect(send(running.port, { host: 'web.test' })).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe("the router's own answers", () => {
  it('404 for an unknown host names the host; JSON when asked', async () => {
    const { port } = await router(new RouteTable());
    const html = await send(port, { host: 'gone-pr-7.slipway.localhost' });
    expect(html.status).toBe(404);
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(html.body).toContain('No environment serves gone-pr-7.slipway.localhost');
    const json = await send(port, { host: 'gone-pr-7.slipway.localhost', headers: { accept: 'application/json' } });
    expect(JSON.parse(json.body)).toMatchObject({ error: { status: 404, code: 'unknown-host' } });
    expect(JSON.parse(json.body).error.message).toContain('gone-pr-7.slipway.localhost');
    const escaped = await send(port, { host: '<script>.test' });
    expect(escaped.body).not.toContain('<script>');
  });

  it('404 for a path no route of a known host covers', async () => {
    const web = await upstream(echo('web'));
    const table = new RouteTable();
    table.upsertEnvironment('web', 'main', [upstreamRoute('web.test', [web.port], { pathPrefix: '/app' })]);
    const { port } = await router(table);
    const answer = await send(port, { host: 'web.test', path: '/elsewhere', headers: { accept: 'application/json' } });
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body).error.code).toBe('no-route');
  });

  it('502 when no replica accepts the connection, without leaking addresses', async () => {
    const down = await closedPort();
    const table = new RouteTable();
    table.upsertEnvironment('web', 'main', [upstreamRoute('web.test', [down])]);
    const { port } = await router(table);
    const answer = await send(port, { host: 'web.test' });
    expect(answer.status).toBe(502);
    expect(answer.body).toContain('web/main');
    expect(answer.body).not.toContain(String(down));
  });

  it('503 with Retry-After while the environment deploys', async () => {
    const table = new RouteTable();
    table.upsertEnvironment('web', 'main', [{ ...upstreamRoute('web.test', [1]), target: { kind: 'deploying' } }]);
    const { port } = await router(table);
    const answer = await send(port, { host: 'web.test' });
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    expect(answer.body).toContain('is being deployed');
  });

  it('a paused page for browsers and 503 with Retry-After for API clients while the environment is paused', async () => {
    const table = new RouteTable();
    table.upsertEnvironment('web', 'main', [{ ...upstreamRoute('web.test', [1]), target: { kind: 'paused' } }]);
    const { port } = await router(table);
    const page = await send(port, { host: 'web.test', headers: { accept: 'text/html' } });
    expect(page.status).toBe(503);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('is paused');
    const api = await send(port, { host: 'web.test', headers: { accept: 'application/json' } });
    expect(api.status).toBe(503);
    expect(api.headers['retry-after']).toBe('5');
    expect(JSON.parse(api.body).error).toMatchObject({ code: 'environment-paused' });
  });

  it("504 when the upstream does not answer within the route's timeout", async () => {
    const silent = await upstream(() => undefined);
    const table = new RouteTable();
    table.upsertEnvironment('web', 'main', [upstreamRoute('web.test', [silent.port], { ingress: { ...testIngress, timeoutMs: 200 } })]);
    const { port } = await router(table);
    const answer = await send(port, { host: 'web.test', headers: { accept: 'application/json' } });
    expect(answer.status).toBe(504);
    expect(JSON.parse(answer.body).error).toMatchObject({ code: 'upstream-timeout' });
  });

  it('413 for a body over the limit, by Content-Length and while streaming', async () => {
    let reached = 0;
    const web = await upstream((req, res) => {
      reached++;
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const table = new RouteTable();
    table.upsertEnvironment('web', 'main', [upstreamRoute('web.test', [web.port], { ingress: { ...testIngress, maxBodyBytes: 1000 } })]);
    const { port } = await router(table);
    expect((await send(port, { host: 'web.test', method: 'POST', body: 'x'.repeat(1000) })).status).toBe(200);
    expect(reached).toBe(1);
    const declared = await send(port, { host: 'web.test', method: 'POST', body: 'x'.repeat(1001) });
    expect(declared.status).toBe(413);
    expect(reached).toBe(1);

    const chunked = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { host: 'web.test', 'transfer-encoding': 'chunked' }, agent: false });
    chunked.on('error', () => undefined); // the router may close before the whole body is written
    chunked.write('x'.repeat(600));
    chunked.write('x'.repeat(600));
    chunked.end();
    const [res] = (await once(chunked, 'response')) as [IncomingMessage];
    res.resume();
    expect(res.statusCode).toBe(413);
  });
});
