// The seed's release track on the local runtime, for tests that drive releases through the API (the
// release flow, the portal's release pages): two applications in git repositories whose web service
// answers its version and whose e2e job fails when the version says "broken"; the platform
// repository with the track (development → staging with a test job and qa, product and security
// approvals → production; hotfixes through staging with an sre approval) and the set; and people
// holding each role.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReleaseResponse } from '@slipway/contract';
import type { ServerConfig } from '../config.ts';
import { startServer, type RunningServer, type StartServerOptions } from '../start-server.ts';
import { createApiToken } from '../store/api-tokens.ts';
import { commitAll, git } from './example-repository.ts';
import { apiCall, closeServer } from './test-server.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers loosely
export type Json = any;

/** user, built-in role, approver roles: a release manager also in QA, developers in qa, product, security and sre. */
export const seedPeople: readonly (readonly [string, string, readonly string[]])[] = [
  ['admin', 'admin', []],
  ['viewer', 'viewer', []],
  ['dev', 'developer', []],
  ['rita', 'release-manager', ['qa']],
  ['quinn', 'developer', ['qa']],
  ['pat', 'developer', ['product']],
  ['sam', 'developer', ['security']],
  ['olga', 'developer', ['sre']],
];

/** A repository of one application (branch main) whose web service answers the content of version.txt; `github` names its GitHub repository ("owner/name"). */
export function appRepository(dir: string, name: string, version: string, github?: string): string {
  const repository = join(dir, name);
  mkdirSync(join(repository, '.slipway'), { recursive: true });
  writeFileSync(join(repository, 'server.mjs'), "import { createServer } from 'node:http';\nimport { readFileSync } from 'node:fs';\ncreateServer((req, res) => res.end(readFileSync('version.txt', 'utf8').trim())).listen(Number(process.env.PORT));\n");
  // The test job passes unless the version says it is broken; then it exits with code 3, for tests to find named.
  writeFileSync(join(repository, 'e2e.mjs'), "import { readFileSync } from 'node:fs';\nconst v = readFileSync('version.txt', 'utf8');\nif (v.includes('broken')) { console.error('checkout flow broken in ' + v.trim()); process.exit(3); }\nconsole.log('e2e passed for ' + v.trim());\n");
  writeFileSync(join(repository, 'version.txt'), `${version}\n`);
  writeFileSync(
    join(repository, '.slipway/app.yaml'),
    `apiVersion: slipway.dev/v1
kind: Application
metadata:
  name: ${name}
spec:
  runtime: local
  repository: { trackingBranch: main${github ? `, github: ${github}` : ''} }
  services:
    - name: web
      run: { command: node server.mjs }
      ports: [{ port: 3000 }]
      readiness: { http: { path: / }, period: 1s }
  jobs:
    - name: e2e
      fromService: web
      command: node e2e.mjs
      timeout: 1m
  workflows:
    setup:
      steps:
        - tasks: [services.all]
`,
  );
  git(repository, 'init', '-q', '-b', 'main');
  commitAll(repository, `${name} ${version}`);
  return repository;
}

/** Commits a new version.txt on a new branch `name` made from main, then goes back to main; returns the commit. */
export function branchVersion(repository: string, name: string, version: string): string {
  git(repository, 'checkout', '-q', '-b', name, 'main');
  const sha = setVersion(repository, version, name);
  git(repository, 'checkout', '-q', 'main');
  return sha;
}

/** Commits a new version.txt on `branch`; returns the commit. */
export function setVersion(repository: string, version: string, branch = 'main'): string {
  git(repository, 'checkout', '-q', branch);
  writeFileSync(join(repository, 'version.txt'), `${version}\n`);
  return commitAll(repository, version);
}

/** The platform team's repository: the seed's track (in its lowops format) with gates, and the set shop of shop and ledger. */
export function seedTrackRepository(dir: string): string {
  const repository = join(dir, 'release-config');
  mkdirSync(join(repository, '.slipway'), { recursive: true });
  writeFileSync(
    join(repository, '.slipway/release.yaml'),
    `apiVersion: lowops.manifests.v1
kind: ReleaseTrack
metadata:
  name: shop-track
spec:
  preReleaseStages:
    - environments: [development]
      gates: { tests: [e2e] }
  releaseStages:
    - environments: [development]
    - environments: [staging]
      gates:
        tests: [e2e]
        approvals:
          required: [{ role: qa }, { role: product }, { role: security }]
    - environments: [production]
  hotfixStages:
    - environments: [staging]
      gates:
        approvals:
          required: [{ role: sre }]
    - environments: [production]
---
apiVersion: lowops.manifests.v1
kind: ApplicationSet
metadata:
  name: shop
  parent: shop-track
spec:
  applications: [shop, ledger]
`,
  );
  git(repository, 'init', '-q', '-b', 'main');
  commitAll(repository, 'release config');
  return repository;
}

/** Settings a test adds to the server's configuration, such as where GitHub's API is. */
export type ExtraServerConfig = Partial<Pick<ServerConfig, 'githubToken' | 'githubApiUrl' | 'githubWebhookSecret'>>;

/** A server in `home` on free ports, with the engine's and the release controller's timings shortened for tests. */
export function startReleaseServer(home: string, cliConfigPath: string, options: StartServerOptions = {}, config: ExtraServerConfig = {}): Promise<RunningServer> {
  return startServer(
    { home, apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath, ...config },
    { graceMs: 1_000, docker: false, engine: { tickMs: 200, refreshRoutesMs: 300 }, releases: { tickMs: 500, healthRecheckMs: 200 }, ...options },
  );
}

/** A token for each of seedPeople, by user name. */
export async function createSeedPeople(server: RunningServer): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const [user, role, approverRoles] of seedPeople) {
    tokens[user] = (await createApiToken(server.store.db, { name: `${user}'s token`, workspace: 'default', role, user, approverRoles: [...approverRoles] })).secret;
  }
  return tokens;
}

/** Calls the API as one of the people: `api` answers status and JSON, `ok` throws on a status of 300 or more. */
export function apiAs(apiUrl: () => string, tokens: Record<string, string>) {
  async function api(who: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
    const { status, json } = await apiCall(apiUrl(), tokens[who], method, path, body);
    return { status, json };
  }
  async function ok(who: string, method: string, path: string, body?: unknown): Promise<Json> {
    const { status, json } = await api(who, method, path, body);
    if (status >= 300) throw new Error(`${method} ${path} as ${who}: ${status} ${JSON.stringify(json)}`);
    return json;
  }
  /** Waits for release n to reach `state` (in stage `stage`, when given); fails at once if it ends otherwise. */
  async function releaseIn(n: number, state: string, stage?: string, timeoutMs = 90_000): Promise<ReleaseResponse> {
    return until(
      `release #${n} ${state}${stage ? ` in ${stage}` : ''}`,
      async () => {
        const r: ReleaseResponse = await ok('viewer', 'GET', `/api/v1/releases/${n}`);
        const current = r.currentStage !== undefined ? r.stages[r.currentStage] : undefined;
        const here = stage === undefined || current?.name === stage;
        if (r.state === state && here) return r;
        if (['Promoted', 'Failed', 'Errored', 'Rejected', 'Aborted'].includes(r.state) && r.state !== state) {
          throw new Error(`release #${n} ended ${r.state}: ${r.reason} ${JSON.stringify(r.stages.map((s) => [s.name, s.state, s.reason, s.targets, s.tests]))}`);
        }
        return undefined;
      },
      timeoutMs,
    );
  }
  return { api, ok, releaseIn };
}

/** Polls `probe` until it answers something other than undefined; an error "release #…" (ended otherwise) fails at once, others are retried. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError: string | undefined;
  for (;;) {
    const last = await probe().catch((e: Error) => {
      if (e.message.startsWith('release #')) throw e;
      lastError = e.message;
      return undefined;
    });
    if (last !== undefined) return last;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export interface SeedReleaseTrack extends ReturnType<typeof apiAs> {
  dir: string;
  server: RunningServer;
  tokens: Record<string, string>;
  repositories: { shop: string; ledger: string; config: string };
  /** Sweeps every workload, stops the server and removes the folder. */
  close(): Promise<void>;
}

/**
 * A server with the seed's people, the applications shop and ledger, and the track and set
 * registered: ready for `snapshots create` and `releases create` (as rita). `seed.shopGithub` names
 * shop's GitHub repository; `seed.config` adds to the server's configuration.
 */
export async function setUpSeedReleaseTrack(prefix: string, options: StartServerOptions = {}, seed: { shopGithub?: string; config?: ExtraServerConfig } = {}): Promise<SeedReleaseTrack> {
  const dir = mkdtempSync(join(tmpdir(), `slipway-${prefix}-`));
  const repositories = { shop: appRepository(dir, 'shop', 'shop v1', seed.shopGithub), ledger: appRepository(dir, 'ledger', 'ledger v1'), config: seedTrackRepository(dir) };
  let server: RunningServer;
  try {
    server = await startReleaseServer(join(dir, 'home'), join(dir, 'cli.yaml'), options, seed.config);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const close = () => closeServer(server, dir);
  try {
    const tokens = await createSeedPeople(server);
    const calls = apiAs(() => server.apiUrl, tokens);
    await calls.ok('admin', 'POST', '/api/v1/applications', { repository: repositories.shop });
    await calls.ok('admin', 'POST', '/api/v1/applications', { repository: repositories.ledger });
    await calls.ok('admin', 'POST', '/api/v1/tracks', { repository: repositories.config });
    await calls.ok('admin', 'POST', '/api/v1/sets', { repository: repositories.config });
    return { dir, server, tokens, repositories, close, ...calls };
  } catch (error) {
    await close();
    throw error;
  }
}
