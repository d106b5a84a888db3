// Every API endpoint with every role: the real server's OpenAPI document lists the operations,
// operation-roles.ts says the least role of each, and every call must be answered accordingly —
// 403 below it, neither 401 nor 403 (nor a 5xx) from it up. A new endpoint without an entry fails here.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInRoles, knownAuditKinds, type BuiltInRole } from '@slipway/contract';
import { loadServerConfig } from '../config.ts';
import { startServer, type RunningServer } from '../start-server.ts';
import { createApiToken } from '../store/api-tokens.ts';
import { operationRoleProblems, operationRoles, operationsOf, withRoleTable } from './operation-roles.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-authz-'));
let server: RunningServer;
const tokens = {} as Record<BuiltInRole, string>;
let operations: string[];

/** Status of a call; the answer is not waited for past its headers, so streams end at once. */
function statusOf(method: string, path: string, token?: string): Promise<number> {
  return answerOf(method, path, token).then((a) => a.status);
}

/** Status and error code of a call. */
function answerOf(method: string, path: string, token?: string): Promise<{ status: number; code?: string }> {
  const port = Number(new URL(server.apiUrl).port);
  const body = ['POST', 'PUT', 'PATCH'].includes(method) ? '{}' : undefined;
  const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) };
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, timeout: 15_000 }, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 400) {
        resolve({ status });
        res.destroy();
        return;
      }
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        let code: string | undefined;
        try {
          code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
        } catch {
          code = undefined;
        }
        resolve({ status, ...(code ? { code } : {}) });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  // Every optional endpoint on: the GitHub webhook exists only with its secret.
  const { config, problems } = loadServerConfig({ SLIPWAY_HOME: join(dir, 'home'), SLIPWAY_GITHUB_WEBHOOK_SECRET: 'authorization-test', XDG_CONFIG_HOME: join(dir, 'config') });
  if (!config) throw new Error(problems.join('\n'));
  // A free metrics port: the default one may be taken by a server running beside the tests.
  server = await startServer({ ...config, apiPort: 0, routerPort: 0, metrics: { port: 0, host: '127.0.0.1' } }, { graceMs: 1_000, portal: true });
  for (const role of builtInRoles) tokens[role] = (await createApiToken(server.store.db, { name: `${role} token`, workspace: 'default', role, user: `${role}-user` })).secret;
  operations = operationsOf(server.api.swagger() as { paths: Record<string, Record<string, unknown>> });
}, 60_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('authorization of every API endpoint', () => {
  it('has a least role for every operation, and none that lets a viewer change anything', () => {
    expect(operations.length).toBeGreaterThan(30);
    const problems = operationRoleProblems(operations);
    expect(problems, `\n${problems.join('\n\n')}\n`).toEqual([]);
  });

  it('answers every role as the table says: 403 below the least role, neither 401 nor 403 from it up', async () => {
    const wrong: string[] = [];
    for (const operation of operations) {
      const least = operationRoles[operation];
      if (least === undefined || least === 'no-token') continue;
      const [method, template] = operation.split(' ') as [string, string];
      const path = template.replace(/\{[^}]+\}/g, 'x');
      const results = await Promise.all(builtInRoles.map(async (role) => ({ role, status: await statusOf(method, path, tokens[role]) })));
      results.push({ role: 'no token' as BuiltInRole, status: await statusOf(method, path) });
      for (const { role, status } of results) {
        const allowed = role !== ('no token' as BuiltInRole) && builtInRoles.indexOf(role) >= builtInRoles.indexOf(least);
        const expected = role === ('no token' as BuiltInRole) ? 'refused with 401' : allowed ? 'let through (not 401/403/5xx)' : 'refused with 403';
        const ok = role === ('no token' as BuiltInRole) ? status === 401 : allowed ? status !== 401 && status !== 403 && status < 500 : status === 403;
        if (!ok) wrong.push(`${operation} as ${role}: ${status}, expected ${expected} (least role ${least})`);
      }
    }
    expect(wrong, `\n${wrong.join('\n')}\n`).toEqual([]);
  }, 60_000);

  it('lets only admins break glass, on every operation that offers it', async () => {
    const document = server.api.swagger() as { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> };
    const breakable = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => op.parameters?.some((p) => p.in === 'query' && p.name === 'breakGlass'))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    // Environments create, delete, extend, config and deploy; exec; secrets set and delete.
    expect(breakable.length).toBeGreaterThanOrEqual(8);
    const wrong: string[] = [];
    for (const operation of breakable) {
      const [method, template] = operation.split(' ') as [string, string];
      const path = `${template.replace(/\{[^}]+\}/g, 'x')}?breakGlass=${encodeURIComponent('restore after incident 42')}`;
      for (const role of builtInRoles) {
        const { status, code } = await answerOf(method, path, tokens[role]);
        const ok = role === 'admin' ? status !== 401 && status !== 403 && status < 500 : status === 403 && code === 'not_allowed';
        if (!ok) wrong.push(`${operation} with breakGlass as ${role}: ${status} ${code ?? ''}, expected ${role === 'admin' ? 'let through' : '403 not_allowed'}`);
      }
      // A reason is required, from admins too.
      const empty = await answerOf(method, `${template.replace(/\{[^}]+\}/g, 'x')}?breakGlass=`, tokens.admin);
      if (empty.status !== 400) wrong.push(`${operation} with an empty breakGlass as admin: ${empty.status}, expected 400`);
    }
    expect(wrong, `\n${wrong.join('\n')}\n`).toEqual([]);
  }, 60_000);

  const securityDoc = () => readFileSync(join(new URL('../../../..', import.meta.url).pathname, 'docs', 'security.md'), 'utf8');

  it('keeps docs/security.md’s role table as the table says', () => {
    const document = securityDoc();
    expect(document, 'docs/security.md is out of date with operation-roles.ts: run `npm run docs:roles`').toBe(withRoleTable(document));
  });

  it('names every audit kind the server records in docs/security.md', () => {
    const document = securityDoc();
    const missing = Object.keys(knownAuditKinds).filter((kind) => !document.includes(`| \`${kind}\` |`));
    expect(missing, 'add a row for each to the table of kinds in docs/security.md#audit-ledger').toEqual([]);
  });
});
