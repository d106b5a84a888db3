import type { FastifyInstance } from 'fastify';
import { applicationResponse, createApplicationRequest, errorResponse, type ApplicationManifest } from '@slipway/contract';
import { InputError, validateManifestFiles, type ManifestFile } from '@slipway/core';
import { normalizeRepository } from '../../git/repositories.ts';
import { putApplication } from '../../store/applications.ts';
import type { ApiDependencies } from '../api-context.ts';
import { requireRole } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';
import { parseBody } from '../parse-body.ts';

/**
 * POST /api/v1/applications — register an application (or add a template version to it) from its
 * manifest, or from a git repository whose `.slipway/` folder holds it at a branch's head.
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
      const principal = requireRole(request, 'developer');
      const body = parseBody(createApplicationRequest, request.body);
      let files: ManifestFile[];
      let source = 'api';
      let repositoryUrl: string | undefined;
      let where: string;
      if (body.repository !== undefined) {
        if (!deps.repositories) throw new InputError('this server cannot read git repositories');
        repositoryUrl = normalizeRepository(body.repository);
        const heads = await deps.repositories.heads(repositoryUrl);
        const branch = body.branch ?? heads.defaultBranch;
        if (!branch) throw new InputError(`the repository ${repositoryUrl} has no default branch; give "branch"`);
        const sha = await deps.repositories.resolveBranch(repositoryUrl, branch);
        files = await deps.repositories.slipwayFolder(repositoryUrl, sha);
        if (files.length === 0) throw new InputError(`${repositoryUrl} has no .slipway/*.yaml at ${branch} (${sha.slice(0, 12)}); add the application's manifest there`);
        source = sha;
        where = `.slipway/ of ${repositoryUrl} at ${branch}`;
      } else {
        files = [{ file: body.file ?? 'manifest.yaml', text: body.manifest! }];
        where = files[0]!.file;
      }
      const loaded = validateManifestFiles(files);
      if (loaded.errors.length) throw new InputError(body.repository !== undefined ? `${where} does not hold valid manifests` : `${where} is not a valid manifest`, loaded.errors);
      const apps = (loaded.value ?? []).filter((l) => l.manifest.kind === 'Application');
      if (apps.length !== 1) throw new InputError(`${where} must hold exactly one Application, it holds ${apps.length}`);
      const result = await putApplication(deps.db, { workspace: principal.workspace, manifest: apps[0]!.manifest as ApplicationManifest, source, ...(repositoryUrl ? { repositoryUrl } : {}) });
      const { id: _id, ...application } = result.application;
      return reply.code(result.created ? 201 : 200).send(application);
    },
  );
}
