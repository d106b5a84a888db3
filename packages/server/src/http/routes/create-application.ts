import type { FastifyInstance } from 'fastify';
import { applicationResponse, createApplicationRequest, errorResponse } from '@slipway/contract';
import { registerApplication } from '../../applications/register-application.ts';
import type { ApiDependencies } from '../api-context.ts';
import { auditHook } from '../audit-trail.ts';
import { principalOf } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';
import { parseBody } from '../parse-body.ts';

/**
 * POST /api/v1/applications — register an application (or add a template version to it) from its
 * manifest, or from a git repository whose `.slipway/` folder (or the folder `path` names) holds it
 * at a branch's head.
 */
export function createApplicationRoute(app: FastifyInstance, deps: ApiDependencies): void {
  app.post(
    '/api/v1/applications',
    {
      schema: {
        summary: 'Register an application from its manifest or its git repository (or add a new template version to it)',
        tags: ['applications'],
        body: jsonSchema(createApplicationRequest),
        response: { 200: jsonSchema(applicationResponse), 201: jsonSchema(applicationResponse), 400: jsonSchema(errorResponse) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = parseBody(createApplicationRequest, request.body);
      const from =
        body.repository !== undefined
          ? { repository: body.repository, ...(body.branch ? { branch: body.branch } : {}), ...(body.path ? { path: body.path } : {}) }
          : { manifest: body.manifest!, ...(body.file ? { file: body.file } : {}) };
      const result = await registerApplication(
        deps,
        principal.workspace,
        from,
        auditHook(request, (r) => ({ kind: 'application.register', subject: r.application.name, details: { version: r.version, created: r.created, ...('repository' in from ? { repository: r.application.repositoryUrl ?? from.repository } : {}) } })),
      );
      const { id: _id, ...application } = result.application;
      return reply.code(result.created ? 201 : 200).send(application);
    },
  );
}
