import type { FastifyInstance } from 'fastify';
import { applicationResponse, createApplicationRequest, errorResponse, type ApplicationManifest } from '@slipway/contract';
import { InputError, validateManifestFiles } from '@slipway/core';
import { putApplication } from '../../store/applications.ts';
import type { ApiDependencies } from '../api-context.ts';
import { jsonSchema } from '../json-schema.ts';
import { parseBody } from '../parse-body.ts';

/** POST /api/v1/applications — register an application from its manifest, or add a template version. */
export function createApplicationRoute(app: FastifyInstance, deps: ApiDependencies): void {
  app.post(
    '/api/v1/applications',
    {
      schema: {
        summary: 'Register an application from its manifest (or add a new template version to it)',
        tags: ['applications'],
        body: jsonSchema(createApplicationRequest),
        response: { 200: jsonSchema(applicationResponse), 201: jsonSchema(applicationResponse), 400: jsonSchema(errorResponse) },
      },
    },
    async (request, reply) => {
      const body = parseBody(createApplicationRequest, request.body);
      const file = body.file ?? 'manifest.yaml';
      const loaded = validateManifestFiles([{ file, text: body.manifest }]);
      if (loaded.errors.length) throw new InputError(`${file} is not a valid manifest`, loaded.errors);
      const apps = (loaded.value ?? []).filter((l) => l.manifest.kind === 'Application');
      if (apps.length !== 1) throw new InputError(`${file} must hold exactly one Application, it holds ${apps.length}`);
      const workspace = request.principal!.workspace;
      const result = await putApplication(deps.db, { workspace, manifest: apps[0]!.manifest as ApplicationManifest, source: 'api' });
      const { id: _id, ...application } = result.application;
      return reply.code(result.created ? 201 : 200).send(application);
    },
  );
}
