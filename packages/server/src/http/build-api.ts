import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { AuthenticationError } from '@slipway/core';
import { IdentityService } from '../identity/identity-service.ts';
import { checkDatabase } from '../store/open-database.ts';
import type { ApiDependencies } from './api-context.ts';
import { provideAuditTrail } from './audit-trail.ts';
import { authenticate, requestedWorkspace } from './authenticate.ts';
import { toHttpError } from './error-mapping.ts';
import { enforceOperationRoles } from './operation-role-check.ts';
import { portalFallback, portalRoutes } from './portal-routes.ts';
import { observeRequests } from './request-metrics.ts';
import { applicationBranchesRoute } from './routes/application-branches.ts';
import { auditRoutes } from './routes/audit.ts';
import { deployEventsRoute } from './routes/deploy-events.ts';
import { createApplicationRoute } from './routes/create-application.ts';
import { getApplicationRoute } from './routes/get-application.ts';
import { listApplicationsRoute } from './routes/list-applications.ts';
import { environmentEndpoints } from './routes/environments.ts';
import { environmentPauseRoutes } from './routes/environment-pause.ts';
import { environmentProtectionRoutes } from './routes/environment-protection.ts';
import { GITHUB_WEBHOOK_PATH, githubWebhookRoute } from './routes/github-webhook.ts';
import { previewRoutes } from './routes/previews.ts';
import { managedReleaseRoutes } from './routes/managed-releases.ts';
import { releaseManifestRoutes } from './routes/release-manifests.ts';
import { releaseRoutes } from './routes/releases.ts';
import { snapshotRoutes } from './routes/snapshots.ts';
import { instanceRoutes } from './routes/instances.ts';
import { routeStreamRoute } from './routes/route-stream.ts';
import { secretRoutes } from './routes/secrets.ts';
import { datasetRoutes } from './routes/datasets.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { userRoutes } from './routes/users.ts';
import { whoamiRoute } from './routes/whoami.ts';
import { workspaceRoutes } from './routes/workspaces.ts';

const MAX_BODY_BYTES = 2 * 1024 * 1024;

/**
 * The HTTP API: every /api/v1 route needs a bearer token; bodies are validated with the contract's
 * zod schemas in the handlers, and the same schemas, as JSON Schema, make the OpenAPI document.
 */
export async function buildApi(deps: ApiDependencies, options: { logger?: boolean; errorLog?: (message: string) => void } = {}): Promise<FastifyInstance> {
  // forceCloseConnections: a stop must not wait for clients' idle keep-alive connections.
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: MAX_BODY_BYTES, forceCloseConnections: true });
  // Route schemas document the API; zod in the handlers is the one validator, so errors read alike.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await app.register(swagger, {
    openapi: {
      info: { title: 'Slipway API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/v1/')) return;
    // GitHub cannot send a bearer token; its deliveries are authenticated by their signature instead.
    if (request.method === 'POST' && request.routeOptions.url === GITHUB_WEBHOOK_PATH) return;
    const header = request.headers.authorization;
    const secret = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    if (!secret) throw new AuthenticationError('missing API token: send "Authorization: Bearer <token>" (slipway login writes it for the CLI)');
    // The token's user, acting in the token's workspace or (admins there) the one ?workspace= names.
    request.principal = await authenticate(deps.db, secret, requestedWorkspace(request.query));
  });
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toHttpError(error);
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      // Whoever runs the server sees why at the default level, not only with SLIPWAY_LOG=debug.
      options.errorLog?.(`${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]} answered ${status}: ${(error as Error).message}`);
    }
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => (deps.portalDir ? portalFallback(request, reply) : undefined) ?? reply.code(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } }));

  if (deps.metrics) observeRequests(app, deps.metrics);
  provideAuditTrail(app, deps.db);
  // Before any route is registered: each must be in the role table, which is checked before its handler.
  enforceOperationRoles(app);
  const identity = new IdentityService(deps.db);
  workspaceRoutes(app, identity);
  userRoutes(app, identity);
  tokenRoutes(app, identity);
  whoamiRoute(app);
  auditRoutes(app, deps);
  createApplicationRoute(app, deps);
  listApplicationsRoute(app, deps);
  getApplicationRoute(app, deps);
  if (deps.repositories) applicationBranchesRoute(app, { ...deps, repositories: deps.repositories });
  if (deps.environments) {
    environmentEndpoints(app, deps.environments);
    environmentProtectionRoutes(app, deps.environments);
    if (deps.environments.pauses) environmentPauseRoutes(app, deps.environments, deps.environments.pauses);
    instanceRoutes(app, deps.environments);
    deployEventsRoute(app, deps.environments);
  }
  if (deps.secrets) secretRoutes(app, deps.secrets, deps.environments?.service);
  datasetRoutes(app, { db: deps.db, ...(deps.datasets ? { datasets: deps.datasets } : {}) });
  if (deps.routeHub) routeStreamRoute(app, { routeHub: deps.routeHub, ...(deps.metrics ? { metrics: deps.metrics } : {}) });
  if (deps.github) githubWebhookRoute(app, { github: deps.github });
  if (deps.previews) previewRoutes(app, deps.previews);
  if (deps.releases) {
    releaseManifestRoutes(app, deps.releases);
    snapshotRoutes(app, deps.releases);
    releaseRoutes(app, deps.releases);
    managedReleaseRoutes(app, deps.releases, deps.environments?.masking);
  }
  if (deps.portalDir) await portalRoutes(app, deps.portalDir);
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // Unauthenticated probes for load balancers and Kubernetes: health says the process answers;
  // ready says it can also reach its store (a server cut off from PostgreSQL is taken out of rotation).
  app.get('/api/health', { schema: { hide: true } }, async () => ({ ok: true }));
  app.get('/api/ready', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await checkDatabase(deps.db);
      return { ready: true };
    } catch (error) {
      return reply.code(503).send({ ready: false, error: { code: 'store_unavailable', message: `the store does not answer: ${(error as Error).message}` } });
    }
  });
  return app;
}
