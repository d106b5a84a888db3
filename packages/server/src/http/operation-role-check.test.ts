import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { toHttpError } from './error-mapping.ts';
import { enforceOperationRoles, operationOf } from './operation-role-check.ts';
import type { Principal } from './authorize.ts';

const member = (role: Principal['role']): Principal => ({ name: `${role}-user`, userId: 'u1', token: { id: 't1', name: 'laptop' }, workspace: 'default', role, approverRoles: [] });

describe('the role table enforced before every handler', () => {
  it('names routes as the table does', () => {
    expect(operationOf('GET', '/api/v1/users/:name')).toBe('GET /api/v1/users/{name}');
    expect(operationOf('HEAD', '/api/v1/environments')).toBe('GET /api/v1/environments');
  });

  it('refuses to register a route the table does not name, saying where to add it', async () => {
    const app = Fastify();
    enforceOperationRoles(app);
    expect(() => app.post('/api/v1/frobnicate/:id', async () => ({}))).toThrow(/POST \/api\/v1\/frobnicate\/\{id\} has no least role: add .* to operationRoles in packages\/contract\/src\/operation-roles\.ts/);
    await app.close();
  });

  it('answers 403 below the least role without running the handler, and runs it from the role up', async () => {
    const app = Fastify();
    let role: Principal['role'] = 'viewer';
    let ran = 0;
    app.addHook('onRequest', async (request) => {
      request.principal = member(role);
    });
    app.setErrorHandler((error, _request, reply) => {
      const { status, body } = toHttpError(error);
      return reply.code(status).send(body);
    });
    enforceOperationRoles(app);
    app.post('/api/v1/workspaces', async () => ({ ran: ++ran }));
    const refused = await app.inject({ method: 'POST', url: '/api/v1/workspaces', payload: {} });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toMatch(/needs the admin role in workspace default; viewer-user acts with viewer/);
    expect(ran).toBe(0);
    role = 'admin';
    expect((await app.inject({ method: 'POST', url: '/api/v1/workspaces', payload: {} })).statusCode).toBe(200);
    expect(ran).toBe(1);
    await app.close();
  });
});
