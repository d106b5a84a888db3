// GitHub previews end to end: the real server (SQLite, local driver, router, engine) receives signed
// deliveries shaped as GitHub sends them, runs the guestbook from a git repository, and reports to a
// local HTTP server standing in for GitHub's API, which records every call.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../start-server.ts';
import { createApiToken } from '../../store/api-tokens.ts';
import { commitAll, git, guestbookRepository } from '../../test-support/example-repository.ts';
import { startFakeGithubApi, type FakeGithubApi, type RecordedCall } from '../../test-support/fake-github-api.ts';
import { pullRequestPayload, pushPayload, signedDelivery, type PullRequestFixture } from '../../test-support/github-payloads.ts';
import { closeServer } from '../../test-support/test-server.ts';

const SECRET = 'It’s a Secret to Everybody';
const dir = mkdtempSync(join(tmpdir(), 'slipway-github-'));
let server: RunningServer;
let github: FakeGithubApi;
let repository: string;
let token: string;

function http(port: number, method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: options.headers ?? {}, timeout: 15_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout ${method} ${path}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

const apiPort = () => Number(new URL(server.apiUrl).port);

async function deliver(event: string, payload: unknown, options: { secret?: string; deliveryId?: string } = {}) {
  const delivery = signedDelivery(event, payload, options.secret ?? SECRET, options.deliveryId);
  const res = await http(apiPort(), 'POST', '/api/v1/webhooks/github', { headers: delivery.headers, body: delivery.body });
  return { ...res, deliveryId: delivery.deliveryId, json: () => JSON.parse(res.text) as { outcome: string; delivery: string; error?: { code: string } } };
}

const pr = (fixture: Omit<PullRequestFixture, 'repository'>) => pullRequestPayload({ repository: 'Octo/Guestbook', ...fixture });

/** Waits until deliveries are handled, no deploy is queued or running, and every report was sent. */
async function settle(timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    await server.previews.idle();
    const live = await server.environments.listLive();
    const busy = await Promise.all(live.map((e) => server.environments.hasActiveDeploy(e.id)));
    if (!busy.some(Boolean)) {
      await sleep(100);
      await server.previews.idle();
      if (!(await Promise.all((await server.environments.listLive()).map((e) => server.environments.hasActiveDeploy(e.id)))).some(Boolean)) return;
    }
    if (Date.now() > until) throw new Error('deploys did not settle');
    await sleep(100);
  }
}

function onBranch(branch: string, from: string, edit: () => void, message: string): string {
  const exists = git(repository, 'branch', '--list', branch) !== '';
  git(repository, 'checkout', '-q', ...(exists ? [branch] : ['-b', branch, from]));
  edit();
  const sha = commitAll(repository, message);
  git(repository, 'checkout', '-q', 'main');
  return sha;
}

function markPage(text: string): () => void {
  return () => {
    const page = join(repository, 'web/src/index.html');
    writeFileSync(page, readFileSync(page, 'utf8').replace(/<body>(<p id="mark">[^<]*<\/p>)?/, `<body><p id="mark">${text}</p>`));
  };
}

const statusesFor = (sha: string): RecordedCall[] => github.calls.filter((c) => c.method === 'POST' && c.path === `/repos/octo/guestbook/statuses/${sha}`);
const commentCalls = (number: number) =>
  github.calls.filter((c) => (c.method === 'POST' && c.path === `/repos/octo/guestbook/issues/${number}/comments`) || (c.method === 'PATCH' && c.path.startsWith('/repos/octo/guestbook/issues/comments/')));

beforeAll(async () => {
  github = await startFakeGithubApi();
  repository = guestbookRepository();
  // The repository lives on this disk; the manifest names the GitHub repository its webhooks come from.
  const manifest = join(repository, '.slipway/guestbook.yaml');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('\nspec:\n', '\nspec:\n  repository: { trackingBranch: main, github: Octo/Guestbook }\n'));
  commitAll(repository, 'follow Octo/Guestbook');
  server = await startServer(
    {
      home: join(dir, 'home'),
      apiPort: 0,
      routerPort: 0,
      host: '127.0.0.1',
      domain: 'slipway.localhost',
      cliConfigPath: join(dir, 'cli.yaml'),
      githubWebhookSecret: SECRET,
      githubToken: 'ghs_test-token',
      githubApiUrl: `${github.url}/`,
    },
    { graceMs: 2_000, engine: { tickMs: 200, refreshRoutesMs: 500 } },
  );
  token = (await createApiToken(server.store.db, { name: 'test', workspace: 'default', role: 'admin' })).secret;
  const registered = await server.api.inject({ method: 'POST', url: '/api/v1/applications', headers: { authorization: `Bearer ${token}` }, payload: { repository } });
  expect(registered.statusCode, registered.body).toBe(201);
}, 60_000);

afterAll(async () => {
  await closeServer(server, dir);
  await github?.close();
  if (repository) rmSync(repository, { recursive: true, force: true });
}, 60_000);

describe('GitHub webhooks', () => {
  let featureA: string;

  it('refuses a forged or missing signature with 401 and changes nothing', async () => {
    featureA = onBranch('feature-a', 'main', markPage('feature a'), 'feature a');
    const payload = pr({ action: 'opened', number: 7, head: { ref: 'feature-a', sha: featureA }, base: { ref: 'main' } });
    const forged = await deliver('pull_request', payload, { secret: 'not the secret' });
    expect(forged.status).toBe(401);
    expect(forged.json().error?.code).toBe('unauthenticated');
    const unsigned = signedDelivery('pull_request', payload, SECRET);
    delete unsigned.headers['x-hub-signature-256'];
    expect((await http(apiPort(), 'POST', '/api/v1/webhooks/github', { headers: unsigned.headers, body: unsigned.body })).status).toBe(401);
    // A body changed after signing is forged too.
    const tampered = signedDelivery('pull_request', payload, SECRET);
    expect((await http(apiPort(), 'POST', '/api/v1/webhooks/github', { headers: tampered.headers, body: tampered.body.replace('"number":7', '"number":8') })).status).toBe(401);
    await settle();
    expect(await server.environments.listLive()).toEqual([]);
    expect(await server.store.db.selectFrom('webhook_deliveries').selectAll().execute()).toEqual([]);
    expect(github.calls).toEqual([]);
  });

  it('refuses a body over 5 MB before reading it', async () => {
    const huge = signedDelivery('push', { padding: 'x'.repeat(6 * 1024 * 1024) }, SECRET);
    const res = await http(apiPort(), 'POST', '/api/v1/webhooks/github', { headers: huge.headers, body: huge.body });
    expect(res.status).toBe(413);
    expect(await server.store.db.selectFrom('webhook_deliveries').selectAll().execute()).toEqual([]);
  });

  it('answers a ping, ignores events that do not concern previews, and is documented without a bearer token', async () => {
    expect((await deliver('ping', { zen: 'Keep it logically awesome.', hook_id: 1 })).json()).toMatchObject({ outcome: 'ignored' });
    const tag = await deliver('push', pushPayload({ repository: 'Octo/Guestbook', ref: 'refs/tags/v1', before: '0'.repeat(40), after: featureA, created: true }));
    expect(tag.status).toBe(200);
    expect(tag.json()).toMatchObject({ outcome: 'ignored' });
    const document = (await server.api.inject({ method: 'GET', url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    expect(document.paths['/api/v1/webhooks/github']?.post?.security).toEqual([]);
    // The exemption is this path only: the rest of the API still needs a token.
    expect((await http(apiPort(), 'GET', '/api/v1/environments')).status).toBe(401);
  });

  it('creates pr-<number> on opened: pending then success with the URL, and one comment listing the URLs', async () => {
    const opened = await deliver('pull_request', pr({ action: 'opened', number: 7, head: { ref: 'feature-a', sha: featureA }, base: { ref: 'main' } }));
    expect(opened.status, opened.text).toBe(202);
    expect(opened.json().outcome).toBe('accepted');
    await settle();
    const env = await server.environments.getLive('default', 'pr-7');
    expect(env).toMatchObject({ status: 'ready', branch: 'feature-a', commit: featureA, kind: 'ephemeral' });
    const page = await http(server.routerPort, 'GET', '/', { headers: { host: 'guestbook-pr-7.slipway.localhost' } });
    expect(page.text).toContain('feature a');

    const statuses = statusesFor(featureA);
    expect(statuses.map((s) => s.body.state)).toEqual(['pending', 'success']);
    expect(statuses[1]!.body).toMatchObject({ context: 'slipway/guestbook', target_url: `http://guestbook-pr-7.slipway.localhost:${server.routerPort}`, description: 'pr-7 is ready' });
    for (const s of statuses) {
      expect(s.authorization).toBe('token ghs_test-token');
      expect(String(s.body.description).length).toBeLessThanOrEqual(140);
    }
    const comments = commentCalls(7);
    expect(comments.filter((c) => c.method === 'POST')).toHaveLength(1);
    const last = comments.at(-1)!.body.body as string;
    expect(last).toContain('`pr-7` ✅ ready');
    expect(last).toContain(`http://guestbook-pr-7.slipway.localhost:${server.routerPort}`);
    expect(last).toContain(`http://api-pr-7.slipway.localhost:${server.routerPort}`);
    const [link] = await server.previews.store.listLinks({ app: 'guestbook' });
    expect(link).toMatchObject({ provider: 'github', repository: 'octo/guestbook', sourceKey: 'pr:7', pullRequest: 7, envId: 'pr-7', environmentId: env!.id, state: 'open' });
    expect(link!.commentId).toBeDefined();
  }, 120_000);

  it('patches on each synchronize and keeps exactly one comment, edited in place, after three pushes', async () => {
    const shas: string[] = [];
    for (const n of [1, 2, 3]) {
      const before = shas.at(-1) ?? featureA;
      shas.push(onBranch('feature-a', 'main', markPage(`feature a, push ${n}`), `push ${n}`));
      const sync = await deliver('pull_request', pr({ action: 'synchronize', number: 7, before, head: { ref: 'feature-a', sha: shas.at(-1)! }, base: { ref: 'main' } }));
      expect(sync.status).toBe(202);
    }
    await settle(180_000);
    const env = await server.environments.getLive('default', 'pr-7');
    expect(env).toMatchObject({ status: 'ready', commit: shas[2] });
    expect((await http(server.routerPort, 'GET', '/', { headers: { host: 'guestbook-pr-7.slipway.localhost' } })).text).toContain('feature a, push 3');
    expect((await server.environments.listDeploys(env!.id)).filter((d) => d.workflow === 'patch').map((d) => d.commit)).toEqual([...shas].reverse());
    for (const sha of shas) expect(statusesFor(sha).map((s) => s.body.state)).toEqual(['pending', 'success']);

    const comments = commentCalls(7);
    expect(comments.filter((c) => c.method === 'POST')).toHaveLength(1);
    const edits = comments.filter((c) => c.method === 'PATCH');
    expect(edits.length).toBeGreaterThanOrEqual(3);
    const [link] = await server.previews.store.listLinks({ app: 'guestbook' });
    expect(new Set(edits.map((c) => c.path))).toEqual(new Set([`/repos/octo/guestbook/issues/comments/${link!.commentId}`]));
    expect(edits.at(-1)!.body.body).toContain(`ready at ${shas[2]!.slice(0, 12)}`);
    featureA = shas[2]!;
  }, 240_000);

  it('acts once on a delivery received twice', async () => {
    const sha = onBranch('feature-a', 'main', markPage('feature a, redelivered'), 'redelivered');
    const payload = pr({ action: 'synchronize', number: 7, before: featureA, head: { ref: 'feature-a', sha }, base: { ref: 'main' } });
    const first = await deliver('pull_request', payload, { deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958' });
    const again = await deliver('pull_request', payload, { deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958' });
    expect([first.status, first.json().outcome]).toEqual([202, 'accepted']);
    expect([again.status, again.json().outcome]).toEqual([200, 'duplicate']);
    await settle();
    const env = await server.environments.getLive('default', 'pr-7');
    expect((await server.environments.listDeploys(env!.id)).filter((d) => d.commit === sha)).toHaveLength(1);
    expect(statusesFor(sha).map((s) => s.body.state)).toEqual(['pending', 'success']);
    featureA = sha;
  }, 120_000);

  it('gives stacked pull requests their own environments, and closing one tears down only its own', async () => {
    const featureB = onBranch('feature-b', 'feature-a', markPage('feature b on a'), 'feature b');
    const opened = await deliver('pull_request', pr({ action: 'opened', number: 8, head: { ref: 'feature-b', sha: featureB }, base: { ref: 'feature-a', sha: featureA } }));
    expect(opened.status).toBe(202);
    await settle();
    expect(await server.environments.getLive('default', 'pr-8')).toMatchObject({ status: 'ready', branch: 'feature-b' });
    const pr7 = (await server.environments.getLive('default', 'pr-7'))!;

    const closed = await deliver('pull_request', pr({ action: 'closed', number: 7, merged: true, head: { ref: 'feature-a', sha: featureA }, base: { ref: 'main' } }));
    expect(closed.status).toBe(202);
    await settle();
    expect(await server.environments.getLive('default', 'pr-7')).toBeUndefined();
    expect((await server.environments.getById(pr7.id))!.deletedAt).toBeDefined();
    expect((await server.drivers.local!.listOwned()).filter((r) => r.env.envId === 'pr-7')).toEqual([]);
    expect((await http(server.routerPort, 'GET', '/', { headers: { host: 'guestbook-pr-7.slipway.localhost' } })).status).toBe(404);
    expect(await server.environments.getLive('default', 'pr-8')).toMatchObject({ status: 'ready' });
    expect((await http(server.routerPort, 'GET', '/', { headers: { host: 'guestbook-pr-8.slipway.localhost' } })).text).toContain('feature b on a');
    // The pull request's one comment now says the environment is gone.
    expect(commentCalls(7).filter((c) => c.method === 'POST')).toHaveLength(1);
    expect(commentCalls(7).at(-1)!.body.body).toContain('torn down');
    expect(commentCalls(8).filter((c) => c.method === 'POST')).toHaveLength(1);
    const links = await server.previews.store.listLinks({ app: 'guestbook' });
    expect(links.map((l) => `${l.sourceKey}:${l.state}`)).toEqual(['pr:7:closed', 'pr:8:open']);
    // Each change the pull requests made is in the audit ledger, by Slipway, naming the event.
    const entries = await server.store.db.selectFrom('audit_entries').select(['actor', 'kind', 'details_json']).where('subject', '=', 'pr-7').orderBy('seq').execute();
    expect(entries.map((e) => `${e.actor} ${e.kind}`)).toEqual(['slipway environment.create', ...Array(4).fill('slipway deploy.create'), 'slipway environment.delete']);
    expect(JSON.parse(entries[0]!.details_json)).toMatchObject({ trigger: 'github: pull request #7 opened', app: 'guestbook' });
    expect(JSON.parse(entries.at(-1)!.details_json)).toMatchObject({ trigger: 'github: pull request #7 closed' });
  }, 180_000);

  it('fails a pull request whose manifest is broken, naming the error in the status', async () => {
    const broken = onBranch(
      'broken-manifest',
      'main',
      () => {
        const path = join(repository, '.slipway/guestbook.yaml');
        writeFileSync(path, readFileSync(path, 'utf8').replace('    - name: worker', '    - name: Worker_Bad'));
      },
      'break the manifest',
    );
    await deliver('pull_request', pr({ action: 'opened', number: 9, head: { ref: 'broken-manifest', sha: broken }, base: { ref: 'main' } }));
    await settle();
    expect(await server.environments.getLive('default', 'pr-9')).toMatchObject({ status: 'failed' });
    const [status] = statusesFor(broken).filter((s) => s.body.state !== 'pending');
    expect(status!.body).toMatchObject({ state: 'failure', context: 'slipway/guestbook' });
    expect(status!.body.description).toMatch(/\.slipway\/guestbook\.yaml:\d+:\d+/);
    expect(String(status!.body.description).length).toBeLessThanOrEqual(140);
    expect(commentCalls(9).at(-1)!.body.body).toContain('❌ failed');
  }, 120_000);

  it('patches a permanent environment on a push to the branch it follows', async () => {
    await server.service.create('default', { app: 'guestbook', kind: 'permanent', id: 'main', branch: 'main' }, 'test');
    await settle();
    const before = (await server.environments.getLive('default', 'main'))!;
    const sha = onBranch('main', 'main', markPage('main moved'), 'main moves');
    const pushed = await deliver('push', pushPayload({ repository: 'Octo/Guestbook', ref: 'refs/heads/main', before: before.commit!, after: sha }));
    expect(pushed.status).toBe(202);
    await settle();
    expect(await server.environments.getLive('default', 'main')).toMatchObject({ status: 'ready', commit: sha });
    expect(statusesFor(sha).map((s) => [s.body.state, s.body.context])).toEqual([
      ['pending', 'slipway/guestbook/main'],
      ['success', 'slipway/guestbook/main'],
    ]);
    // A push to a branch no preview follows creates nothing (branch previews are off by default).
    const other = onBranch('unrelated', 'main', markPage('unrelated'), 'unrelated');
    await deliver('push', pushPayload({ repository: 'Octo/Guestbook', ref: 'refs/heads/unrelated', before: '0'.repeat(40), after: other, created: true }));
    await settle();
    expect(await server.environments.getLive('default', 'unrelated')).toBeUndefined();

    // Marked protected, main refuses the push's patch: the delivery is handled (not failed and retried), the refusal recorded, the environment unchanged.
    await server.api.inject({ method: 'PUT', url: '/api/v1/environments/main/protection', headers: { authorization: `Bearer ${token}` }, payload: { reason: 'frozen for the audit' } });
    const frozen = onBranch('main', 'main', markPage('main moved again'), 'main moves again');
    const refused = await deliver('push', pushPayload({ repository: 'Octo/Guestbook', ref: 'refs/heads/main', before: sha, after: frozen }));
    expect(refused.status).toBe(202);
    await settle();
    const handled = await server.previews.store.getDelivery('github', refused.deliveryId);
    expect(handled).toMatchObject({ state: 'done' });
    expect(handled!.result).toMatch(/guestbook: patch main failed \(environment main is protected and cannot be deployed to directly/);
    expect(await server.environments.getLive('default', 'main')).toMatchObject({ commit: sha });
    await server.api.inject({ method: 'DELETE', url: '/api/v1/environments/main/protection', headers: { authorization: `Bearer ${token}` } });
  }, 120_000);

  it('edits a comment someone deleted by posting it again, once', async () => {
    const link = (await server.previews.store.listLinks({ app: 'guestbook' })).find((l) => l.sourceKey === 'pr:8')!;
    github.deletedComments.add(Number(link.commentId));
    const sha = onBranch('feature-b', 'feature-a', markPage('feature b, again'), 'feature b again');
    await deliver('pull_request', pr({ action: 'synchronize', number: 8, head: { ref: 'feature-b', sha }, base: { ref: 'feature-a' } }));
    await settle();
    expect(commentCalls(8).filter((c) => c.method === 'POST')).toHaveLength(2);
    const relinked = (await server.previews.store.listLinks({ app: 'guestbook' })).find((l) => l.sourceKey === 'pr:8')!;
    expect(relinked.commentId).not.toBe(link.commentId);
  }, 120_000);

  it('handles at start a delivery recorded but not handled before the server stopped', async () => {
    const pr8 = (await server.environments.getLive('default', 'pr-8'))!;
    const event = { type: 'pull-request', action: 'closed', provider: 'github', repository: 'octo/guestbook', number: 8, headBranch: 'feature-b', headSha: pr8.commit, baseBranch: 'feature-a', labels: [] };
    expect(await server.previews.store.recordDelivery('github', 'recorded-before-a-crash', event)).toBe(true);
    await server.previews.github!.resume();
    await settle();
    expect(await server.environments.getLive('default', 'pr-8')).toBeUndefined();
    expect(await server.previews.store.getDelivery('github', 'recorded-before-a-crash')).toMatchObject({ state: 'done', result: 'guestbook: teardown pr-8 done' });
    const again = await deliver('pull_request', pr({ action: 'closed', number: 8, head: { ref: 'feature-b', sha: pr8.commit! }, base: { ref: 'feature-a' } }), { deliveryId: 'recorded-before-a-crash' });
    expect(again.json().outcome).toBe('duplicate');
  }, 60_000);
});
