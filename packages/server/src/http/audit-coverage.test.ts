// Every state-changing API call writes exactly one audit entry in the caller's workspace — or is on
// the short list of exemptions, with its reason (audit-exemptions.ts). The operations come from the
// real server's OpenAPI document, so a new POST, PUT, PATCH or DELETE without an entry here (or an
// exemption) fails; each is called for real, as the least role that may, and its entries counted.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentResponse } from '@slipway/contract';
import type { RunningServer } from '../start-server.ts';
import { createApiToken } from '../store/api-tokens.ts';
import { apiAs, appRepository, createSeedPeople, setVersion, startReleaseServer, until } from '../test-support/seed-release-track.ts';
import { closeServer } from '../test-support/test-server.ts';
import { DatasetStore } from '../store/datasets.ts';
import { auditExemptOperations } from './audit-exemptions.ts';
import { operationRoles, operationsOf } from './operation-roles.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-audit-coverage-'));
let server: RunningServer;
const tokens: Record<string, string> = {};
const { api, ok, releaseIn } = apiAs(() => server.apiUrl, tokens);
let shop: string;

const track = `apiVersion: slipway.dev/v1
kind: ReleaseTrack
metadata: { name: audit-track }
spec:
  releaseStages:
    - name: staging
      environments: [staging]
      gates: { approvals: { required: [{ role: qa }] } }
    - name: production
      environments: [production]
      promotion: manual
---
apiVersion: slipway.dev/v1
kind: ApplicationSet
metadata: { name: shop }
spec: { applications: [shop], releaseTrack: audit-track }
`;
const plan = 'apiVersion: slipway.dev/v1\nkind: ReleasePlan\nmetadata: { name: shop-to-ops }\nspec: { applicationSet: shop, target: ops }\n';
const admission = `apiVersion: slipway.dev/v1
kind: ReleasePlanAdmission
metadata: { name: shop-admission }
spec:
  origins: [{ workspace: default, applications: [shop] }]
  workflow:
    steps:
      - name: announce
        command: echo announced
`;

/** One call of an operation: who makes it, what it does, and the kind of the one entry it must write. */
interface AuditedCall {
  operation: string;
  who: string;
  kind: string;
  /** The call; it throws unless it succeeded. */
  call: () => Promise<unknown>;
  /** The entry is written a second time, in this other workspace (with the reason in a comment). */
  alsoIn?: string;
  /** Runs before the call (waiting for a state the call needs); its own writes are not counted. */
  before?: () => Promise<void>;
}

let envId = '';
let tokenId = '';
let snapshot = '';
const release = (n: number) => `/api/v1/releases/${n}`;
const newSnapshot = async () => (snapshot = (await ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop' })).alias);

const calls: AuditedCall[] = [
  { operation: 'POST /api/v1/workspaces', who: 'admin', kind: 'workspace.create', call: () => ok('admin', 'POST', '/api/v1/workspaces', { name: 'ops' }) },
  { operation: 'POST /api/v1/users', who: 'admin', kind: 'user.create', call: () => ok('admin', 'POST', '/api/v1/users', { name: 'newbie' }) },
  { operation: 'POST /api/v1/users/{name}/grant', who: 'admin', kind: 'role.grant', call: () => ok('admin', 'POST', '/api/v1/users/newbie/grant', { approverRoles: ['qa'] }) },
  { operation: 'POST /api/v1/users/{name}/revoke', who: 'admin', kind: 'role.revoke', call: () => ok('admin', 'POST', '/api/v1/users/newbie/revoke', { approverRoles: ['qa'] }) },
  { operation: 'POST /api/v1/tokens', who: 'dev', kind: 'token.create', call: async () => (tokenId = (await ok('dev', 'POST', '/api/v1/tokens', { name: 'ci' })).token.id) },
  { operation: 'DELETE /api/v1/tokens/{id}', who: 'dev', kind: 'token.revoke', call: () => ok('dev', 'DELETE', `/api/v1/tokens/${tokenId}`) },
  { operation: 'PUT /api/v1/secrets/{name}', who: 'dev', kind: 'secret.set', call: () => ok('dev', 'PUT', '/api/v1/secrets/api-key', { value: 'not-printed-1234' }) },
  { operation: 'DELETE /api/v1/secrets/{name}', who: 'dev', kind: 'secret.delete', call: () => ok('dev', 'DELETE', '/api/v1/secrets/api-key') },
  {
    operation: 'POST /api/v1/datasets/{app}/{name}/refresh',
    who: 'dev',
    kind: 'dataset.refresh',
    // A dataset's row as its pools would have written it (this server has no dataset server).
    before: async () => {
      const at = new Date().toISOString();
      await new DatasetStore(server.store.db).insert({
        id: 'audit-dataset', workspace: 'default', app: 'shop', name: 'orders', definition_json: JSON.stringify({ name: 'orders', source: { file: '/x.sql' }, poolSize: 1, optional: false, envPrefix: 'DATABASE' }),
        definition_hash: 'x', state: 'ready', reason: null, generation: 1, golden_database: null, golden_hash: null, golden_at: at, refresh_requested_at: null, created_at: at, updated_at: at,
      });
    },
    call: () => ok('dev', 'POST', '/api/v1/datasets/shop/orders/refresh'),
  },
  { operation: 'POST /api/v1/applications', who: 'admin', kind: 'application.register', call: () => ok('admin', 'POST', '/api/v1/applications', { repository: shop }) },
  {
    operation: 'POST /api/v1/environments',
    who: 'dev',
    kind: 'environment.create',
    call: async () => (envId = ((await ok('dev', 'POST', '/api/v1/environments', { app: 'shop', id: 'feature-audit' })) as { environment: EnvironmentResponse }).environment.id),
  },
  { operation: 'POST /api/v1/environments/{id}/deploys', who: 'dev', kind: 'deploy.create', before: () => ready(envId), call: () => ok('dev', 'POST', `/api/v1/environments/${envId}/deploys`, {}) },
  { operation: 'POST /api/v1/environments/{id}/extend', who: 'dev', kind: 'environment.extend', call: () => ok('dev', 'POST', `/api/v1/environments/${envId}/extend`, { ttl: '2h' }) },
  { operation: 'POST /api/v1/environments/{id}/pause', who: 'dev', kind: 'environment.pause', before: () => ready(envId), call: () => ok('dev', 'POST', `/api/v1/environments/${envId}/pause`) },
  { operation: 'POST /api/v1/environments/{id}/resume', who: 'dev', kind: 'environment.resume', call: () => ok('dev', 'POST', `/api/v1/environments/${envId}/resume`) },
  { operation: 'PUT /api/v1/environments/{id}/config', who: 'dev', kind: 'environment.config-set', before: () => ready(envId), call: () => ok('dev', 'PUT', `/api/v1/environments/${envId}/config`, { variables: { GREETING: 'hi' } }) },
  {
    operation: 'POST /api/v1/environments/{id}/instances/{name}/exec',
    who: 'dev',
    kind: 'instance.exec',
    before: () => ready(envId),
    call: async () => {
      const { items } = await ok('dev', 'GET', `/api/v1/environments/${envId}/instances`);
      return ok('dev', 'POST', `/api/v1/environments/${envId}/instances/${items[0].name}/exec`, { command: ['node', '-e', 'console.log(1)'] });
    },
  },
  // Only a permanent environment can be marked protected: one is made first.
  {
    operation: 'PUT /api/v1/environments/{id}/protection',
    who: 'admin',
    kind: 'environment.protect',
    before: async () => {
      await ok('dev', 'POST', '/api/v1/environments', { app: 'shop', id: 'shared', kind: 'permanent' });
      await ready('shared');
    },
    call: () => ok('admin', 'PUT', '/api/v1/environments/shared/protection', { reason: 'customer demo' }),
  },
  { operation: 'DELETE /api/v1/environments/{id}/protection', who: 'admin', kind: 'environment.unprotect', call: () => ok('admin', 'DELETE', '/api/v1/environments/shared/protection') },
  { operation: 'DELETE /api/v1/environments/{id}', who: 'dev', kind: 'environment.delete', before: () => ready(envId), call: () => ok('dev', 'DELETE', `/api/v1/environments/${envId}`) },
  { operation: 'POST /api/v1/tracks', who: 'rita', kind: 'release-track.register', call: () => ok('rita', 'POST', '/api/v1/tracks', { files: [{ file: 'release.yaml', text: track }] }) },
  { operation: 'POST /api/v1/sets', who: 'rita', kind: 'application-set.register', call: () => ok('rita', 'POST', '/api/v1/sets', { files: [{ file: 'release.yaml', text: track }] }) },
  { operation: 'POST /api/v1/snapshots', who: 'dev', kind: 'snapshot.create', call: newSnapshot },
  // Release 1: approved in staging, then promoted by hand out of production (its promotion is manual).
  { operation: 'POST /api/v1/releases', who: 'rita', kind: 'release.create', call: () => ok('rita', 'POST', '/api/v1/releases', { snapshot }) },
  {
    operation: 'POST /api/v1/releases/{ref}/approve',
    who: 'quinn',
    kind: 'release.approve',
    before: async () => {
      await awaiting(1, 'staging');
      // A promotion while a gate does not hold is refused and records nothing (the count at the end).
      expect((await api('rita', 'POST', `${release(1)}/promote`, {})).status).toBe(409);
    },
    call: () => ok('quinn', 'POST', `${release(1)}/approve`, {}) },
  {
    operation: 'POST /api/v1/releases/{ref}/promote',
    who: 'rita',
    kind: 'release.promote',
    before: () => awaiting(1, 'production'),
    call: async () => {
      await ok('rita', 'POST', `${release(1)}/promote`, { reason: 'release notes are out' });
      await releaseIn(1, 'Promoted');
    },
  },
  // Release 2: rejected in staging.
  {
    operation: 'POST /api/v1/releases/{ref}/reject',
    who: 'quinn',
    kind: 'release.reject',
    before: async () => {
      setVersion(shop, 'shop v2');
      await newSnapshot();
      await ok('rita', 'POST', '/api/v1/releases', { snapshot });
      await awaiting(2, 'staging');
    },
    call: () => ok('quinn', 'POST', `${release(2)}/reject`, { reason: 'the banner is wrong' }),
  },
  // Release 3 goes to production; rolling production back redeploys release 1's snapshot.
  {
    operation: 'POST /api/v1/releases/{ref}/rollback',
    who: 'rita',
    kind: 'release.rollback',
    before: async () => {
      await ok('rita', 'POST', '/api/v1/releases', { snapshot });
      await awaiting(3, 'staging');
      await ok('quinn', 'POST', `${release(3)}/approve`, {});
      await awaiting(3, 'production');
      await ok('rita', 'POST', `${release(3)}/promote`, {});
      await releaseIn(3, 'Promoted');
    },
    call: () => ok('rita', 'POST', `${release(3)}/rollback`, { stage: 'production', reason: 'checkout errors' }),
  },
  {
    operation: 'POST /api/v1/releases/{ref}/abort',
    who: 'rita',
    kind: 'release.abort',
    before: async () => {
      await releaseIn(4, 'Promoted');
      await ok('rita', 'POST', '/api/v1/releases', { snapshot });
      await awaiting(5, 'staging');
    },
    call: () => ok('rita', 'POST', `${release(5)}/abort`, { reason: 'not this week' }),
  },
  { operation: 'POST /api/v1/release-plans', who: 'rita', kind: 'release-plan.register', call: () => ok('rita', 'POST', '/api/v1/release-plans', { files: [{ file: 'plan.yaml', text: plan }] }) },
  { operation: 'POST /api/v1/release-plan-admissions', who: 'opsadmin', kind: 'release-plan-admission.register', call: () => ok('opsadmin', 'POST', '/api/v1/release-plan-admissions', { files: [{ file: 'admission.yaml', text: admission }] }) },
  // Once for the development team, and once in the managed workspace it goes to, whose team must see it in their own ledger view.
  { operation: 'POST /api/v1/managed-releases', who: 'rita', kind: 'release.create', alsoIn: 'ops', call: () => ok('rita', 'POST', '/api/v1/managed-releases', { plan: 'shop-to-ops', snapshot }) },
];

async function ready(id: string): Promise<void> {
  await until(`${id} ready`, async () => {
    const env: EnvironmentResponse = await ok('dev', 'GET', `/api/v1/environments/${id}`);
    if (env.status === 'failed' || env.status === 'errored') throw new Error(`release #: ${id} ${env.status}: ${env.reason}`);
    return env.status === 'ready' && env.lastDeploy?.state === 'succeeded' ? true : undefined;
  });
}

async function awaiting(n: number, stage: string): Promise<void> {
  await releaseIn(n, 'AwaitingApproval', stage);
}

/** The ledger's entries by `who` (in any workspace) after `seq`, read from the store. */
async function entriesAfter(who: string, seq: number): Promise<{ actor: string; kind: string; subject: string; workspace: string }[]> {
  return server.store.db.selectFrom('audit_entries').select(['actor', 'kind', 'subject', 'workspace']).where('seq', '>', seq).where('actor', '=', who).orderBy('seq').execute();
}

async function headSeq(): Promise<number> {
  const row = await server.store.db.selectFrom('audit_entries').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row?.seq ?? 0;
}

beforeAll(async () => {
  shop = appRepository(dir, 'shop', 'shop v1');
  // With a webhook secret, so that the GitHub webhook (exempt) is part of the API.
  server = await startReleaseServer(join(dir, 'home'), join(dir, 'cli.yaml'), {}, { githubWebhookSecret: 'audit-coverage' });
  Object.assign(tokens, await createSeedPeople(server));
}, 60_000);

afterAll(() => closeServer(server, dir), 60_000);

describe('every state-changing API call is audited', () => {
  it('has a call (or an exemption with its reason) for every POST, PUT, PATCH and DELETE the OpenAPI document lists', () => {
    const mutations = operationsOf(server.api.swagger() as { paths: Record<string, Record<string, unknown>> }).filter((o) => !o.startsWith('GET '));
    expect(mutations.length).toBeGreaterThan(25);
    const covered = new Set([...calls.map((c) => c.operation), ...Object.keys(auditExemptOperations)]);
    expect(
      mutations.filter((o) => !covered.has(o)),
      'add a call for each to audit-coverage.test.ts (or an exemption with a reason to audit-exemptions.ts)',
    ).toEqual([]);
    expect([...covered].filter((o) => !mutations.includes(o)), 'operations here that the API no longer has').toEqual([]);
    for (const [operation, reason] of Object.entries(auditExemptOperations)) {
      expect(operationRoles[operation], `${operation} is exempt: it must still be in operation-roles.ts`).toBeDefined();
      expect(reason.length, `${operation}: say why it writes no entry`).toBeGreaterThan(40);
    }
  });

  it('writes exactly one entry of the right kind for each call, and none that nobody asked for', async () => {
    const wrong: string[] = [];
    let total = 0;
    const start = await headSeq();
    for (const step of calls) {
      // The managed workspace's admin, once the workspace exists.
      if (step.who === 'opsadmin' && !tokens.opsadmin) tokens.opsadmin = (await createApiToken(server.store.db, { name: 'ops admin', workspace: 'ops', role: 'admin', user: 'opsadmin' })).secret;
      await step.before?.();
      const seq = await headSeq();
      await step.call();
      total++;
      const entries = await entriesAfter(step.who, seq);
      const summary = entries.map((e) => `${e.kind} ${e.subject} (in ${e.workspace})`).join(', ') || 'none';
      const expected = [step.kind, ...(step.alsoIn ? [step.kind] : [])];
      if (JSON.stringify(entries.map((e) => e.kind)) !== JSON.stringify(expected)) wrong.push(`${step.operation} as ${step.who}: expected ${expected.join(' and ')}, got ${summary}`);
      total += entries.length - 1;
    }
    expect(wrong, `\n${wrong.join('\n')}\n`).toEqual([]);
    // Nothing written later, in the background, in a person's name: every entry by a person is one of the calls or a step's preparation.
    const people = ['admin', 'dev', 'rita', 'quinn', 'opsadmin'];
    const byPeople = (await Promise.all(people.map((who) => entriesAfter(who, start)))).flat();
    // The steps' preparations wrote 7: an environment, a snapshot, three releases, an approval and a promotion.
    expect(byPeople.length - total, `entries by people: ${byPeople.map((e) => `${e.actor} ${e.kind}`).join(', ')}`).toBe(7);
  }, 240_000);
});
