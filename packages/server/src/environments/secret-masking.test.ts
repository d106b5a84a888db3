// Secrets never shown: a job (and a service) on the local runtime prints two secrets in every form
// — literal, base64 (standalone, url-safe, and embedded in a longer encoded text), URL-encoded,
// JSON-escaped, and each line of a multi-line one — then every API answer a viewer (and an admin)
// can reach, and every file under the server's data folder (the SQLite database and its journal,
// deploy logs, the runtime's job records and logs), is searched for each form: none may hold one.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerApplication } from '../applications/register-application.ts';
import type { RunningServer } from '../start-server.ts';
import { createApiToken } from '../store/api-tokens.ts';
import { commitAll, git } from '../test-support/example-repository.ts';
import { apiCall, settled, startTestServer, type TestServer } from '../test-support/test-server.ts';

const apiKey = 'Sup3r "Secret" /Value+ä&more=42';
const tlsKey = ['-----BEGIN TEST KEY-----', 'TWFza2luZ0lzTm90T3B0aW9uYWwxMjM0', 'bGluZTItb2YtdGhlLXNlY3JldC1rZXk5', '-----END TEST KEY-----'].join('\n');

/** What a job prints; the test looks for each value of `needles` below. */
const leakScript = `const s = process.env.API_KEY;
const m = process.env.TLS_KEY;
const b64 = (t) => Buffer.from(t).toString('base64');
console.log('literal', s);
console.error('stderr literal', s);
console.log('base64', b64(s), 'unpadded', b64(s).replace(/=+$/, ''), 'url-safe', Buffer.from(s).toString('base64url'));
for (const prefix of ['', 'a', 'ab', 'user:']) console.log('embedded', b64(prefix + s + '@host'));
console.log('url', encodeURIComponent(s), 'form', new URLSearchParams({ k: s }).toString());
console.log('json', JSON.stringify({ key: s }));
console.log('multi-line', m);
for (const line of m.split('\\n')) console.log('line', '  ' + line + '  ');
console.log('multi-line json', JSON.stringify({ key: m }), 'base64', b64(m));
process.exit(Number(process.argv[2] ?? 0));
`;

const b64 = (text: string) => Buffer.from(text).toString('base64');
/** The characters of base64(prefix + secret + suffix) that encode the secret's bytes alone. */
const embedded = (prefix: string, secret: string) => {
  const encoded = b64(`${prefix}${secret}@host`);
  const bytes = Buffer.byteLength(prefix);
  return encoded.slice(Math.ceil((8 * bytes) / 6), Math.floor((8 * (bytes + Buffer.byteLength(secret))) / 6));
};
const needles: Record<string, string> = {
  literal: apiKey,
  base64: b64(apiKey),
  'base64 unpadded': b64(apiKey).replace(/=+$/, ''),
  'base64 url-safe': Buffer.from(apiKey).toString('base64url'),
  'base64 embedded at 0': embedded('', apiKey),
  'base64 embedded at 1': embedded('a', apiKey),
  'base64 embedded at 2': embedded('ab', apiKey),
  'base64 embedded after user:': embedded('user:', apiKey),
  'url-encoded': encodeURIComponent(apiKey),
  'form-encoded': new URLSearchParams({ k: apiKey }).toString().slice(2),
  'json-escaped': JSON.stringify(apiKey).slice(1, -1),
  'multi-line literal': tlsKey,
  'multi-line json-escaped': JSON.stringify(tlsKey).slice(1, -1),
  'multi-line base64': b64(tlsKey),
  ...Object.fromEntries(tlsKey.split('\n').map((line, i) => [`line ${i + 1}`, line])),
};

let test: TestServer;
let server: RunningServer;
let viewer: string;
let admin: string;
let home: string;

beforeAll(async () => {
  test = await startTestServer('secret-masking');
  server = test.server;
  home = join(test.dir, 'home');
  const repository = join(test.dir, 'repo');
  mkdirSync(join(repository, '.slipway'), { recursive: true });
  writeFileSync(join(repository, 'leak.mjs'), leakScript);
  writeFileSync(
    join(repository, 'server.mjs'),
    "import { createServer } from 'node:http';\nconsole.log('api key', process.env.API_KEY, Buffer.from(process.env.API_KEY).toString('base64'));\nconsole.log(process.env.TLS_KEY);\ncreateServer((req, res) => res.end('ok')).listen(Number(process.env.PORT));\n",
  );
  const secretEnv = 'API_KEY: { secret: api-key }\n        TLS_KEY: { secret: tls-key }';
  writeFileSync(
    join(repository, '.slipway/app.yaml'),
    `apiVersion: slipway.dev/v1
kind: Application
metadata:
  name: leaky
spec:
  runtime: local
  services:
    - name: web
      run:
        command: node server.mjs
      ports:
        - port: 3000
      env:
        ${secretEnv}
  jobs:
    - name: leak
      fromService: web
      command: node leak.mjs 0
      env:
        ${secretEnv}
    - name: boom
      fromService: web
      command: node leak.mjs 3
      env:
        ${secretEnv}
  workflows:
    setup:
      steps:
        - tasks: [jobs.leak]
        - tasks: [services.web]
        - tasks: [jobs.boom]
`,
  );
  git(repository, 'init', '-q', '-b', 'main');
  commitAll(repository, 'leaky');
  viewer = (await createApiToken(server.store.db, { name: 'viewer', workspace: 'default', role: 'viewer' })).secret;
  admin = (await createApiToken(server.store.db, { name: 'admin', workspace: 'default', role: 'admin' })).secret;
  await registerApplication({ db: server.store.db, repositories: server.repositories }, 'default', { repository });
  for (const [name, value] of [['api-key', apiKey], ['tls-key', tlsKey]]) {
    const set = await apiCall(server.apiUrl, admin, 'PUT', `/api/v1/secrets/${name}`, { value });
    expect(set.status, set.text).toBeLessThan(300);
  }
}, 60_000);

afterAll(() => test?.close(), 60_000);

/** A GET as text: JSON, plain text and server-sent events alike. */
async function getText(token: string, path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(new URL(path, server.apiUrl), { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, text: await response.text() };
}

/** Every file under a folder, recursively. */
function filesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(path));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

/** Which forms of the secrets a text or file holds: "<where>: <form>" for each. */
function hits(where: string, content: string | Buffer): string[] {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return Object.entries(needles)
    .filter(([, needle]) => bytes.includes(Buffer.from(needle)))
    .map(([form]) => `${where}: ${form}`);
}

describe('secrets never shown', () => {
  it('masks every form of the secrets a job and a service print, in every API answer and every file', async () => {
    const created = await apiCall(server.apiUrl, admin, 'POST', '/api/v1/environments', { app: 'leaky', kind: 'ephemeral', id: 'masked', branch: 'main' });
    expect(created.status, created.text).toBe(202);
    const deployId: string = created.json.deploy.id;
    expect(await settled(server, 'masked', 60_000)).toBe('failed');

    const found: string[] = [];
    for (const token of [viewer, admin]) {
      const paths = [
        '/api/v1/environments',
        '/api/v1/environments/masked',
        '/api/v1/environments/masked/deploys',
        '/api/v1/environments/masked/instances',
        '/api/v1/environments/masked/instances/web-0/logs',
        '/api/v1/environments/masked/instances/web-0/logs?tail=100',
        '/api/v1/environments/masked/vars',
        '/api/v1/environments/masked/config',
        `/api/v1/deploys/${deployId}`,
        `/api/v1/deploys/${deployId}/log`,
        `/api/v1/deploys/${deployId}/events`,
        '/api/v1/secrets',
        ...(token === admin ? ['/api/v1/audit', '/api/v1/audit/export'] : []),
      ];
      for (const path of paths) {
        const answer = await getText(token, path);
        expect(answer.status, `${path}: ${answer.text}`).toBe(200);
        found.push(...hits(`GET ${path}`, answer.text));
      }
    }

    // Every file the server and its runtime wrote: the database, deploy logs, job records and logs.
    const files = filesUnder(home);
    expect(files.some((f) => f.endsWith('.log') && f.includes('jobs'))).toBe(true);
    for (const file of files) if (statSync(file).size < 64 * 1024 * 1024) found.push(...hits(file.slice(home.length + 1), readFileSync(file)));

    expect(found).toEqual([]);

    // What the job printed reached the deploy's log and its task's log tail, masked.
    const deploy = (await apiCall(server.apiUrl, viewer, 'GET', `/api/v1/deploys/${deployId}`)).json;
    const leak = deploy.tasks.find((t: { key: string }) => t.key.endsWith('job:leak'));
    expect(leak.state).toBe('succeeded');
    expect(leak.logTail).toContain('literal ***');
    const boom = deploy.tasks.find((t: { key: string }) => t.key.endsWith('job:boom'));
    expect(boom.state).toBe('failed');
    expect(boom.logTail).toContain('base64 ***');
    const log = (await getText(viewer, `/api/v1/deploys/${deployId}/log`)).text;
    expect(log).toContain('leak | literal ***');
    expect(log).toContain('boom | url *** form k=***');
    const instanceLog = (await getText(viewer, '/api/v1/environments/masked/instances/web-0/logs')).text;
    expect(instanceLog).toContain('api key *** ***');
  }, 120_000);

  it('masks, before it is stored or written, what a runtime handed on unmasked', async () => {
    const driver = server.drivers.local!;
    const runJob = driver.runJob.bind(driver);
    driver.runJob = async (request) => {
      request.onOutput?.(`raw ${apiKey} ${b64(apiKey)}`);
      const result = await runJob(request);
      return { ...result, logTail: `${result.logTail ?? ''}\nraw ${apiKey} ${encodeURIComponent(apiKey)}`, ...(result.outcome !== 'succeeded' ? { reason: `${result.reason} ${JSON.stringify(apiKey)}` } : {}) };
    };
    try {
      const created = await apiCall(server.apiUrl, admin, 'POST', '/api/v1/environments', { app: 'leaky', kind: 'ephemeral', id: 'unmasked', branch: 'main' });
      expect(created.status, created.text).toBe(202);
      expect(await settled(server, 'unmasked', 60_000)).toBe('failed');
      const deployId: string = created.json.deploy.id;
      const stored = await server.environments.tasks(deployId);
      expect(stored.find((t) => t.key.endsWith('job:boom'))?.logTail).toContain('raw *** ***');
      const found = filesUnder(home).flatMap((file) => hits(file.slice(home.length + 1), readFileSync(file)));
      expect(found).toEqual([]);
      expect(readFileSync(join(home, 'deploys', `${deployId}.log`), 'utf8')).toContain('boom | raw *** ***');
    } finally {
      driver.runJob = runJob;
    }
  }, 120_000);

  it('masks, in every answer, what was stored unmasked (before the secret was set)', async () => {
    const env = (await server.environments.getLive('default', 'masked'))!;
    const deploy = (await server.environments.listDeploys(env.id, 1))[0]!;
    await server.environments.setTask(deploy.id, { key: '0:job:leak', step: 0, state: 'succeeded', logTail: `stored ${apiKey} ${b64(apiKey)}`, reason: `stored ${tlsKey}` });
    await server.environments.updateEnvironment(env.id, { reason: `stored ${encodeURIComponent(apiKey)}` });
    const found: string[] = [];
    for (const path of ['/api/v1/environments', '/api/v1/environments/masked', '/api/v1/environments/masked/deploys', `/api/v1/deploys/${deploy.id}`, `/api/v1/deploys/${deploy.id}/events`]) {
      const answer = await getText(viewer, path);
      expect(answer.status, answer.text).toBe(200);
      found.push(...hits(`GET ${path}`, answer.text));
    }
    expect(found).toEqual([]);
    expect((await getText(viewer, `/api/v1/deploys/${deploy.id}`)).text).toContain('stored *** ***');
  }, 60_000);
});
