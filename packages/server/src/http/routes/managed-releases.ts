import type { FastifyInstance } from 'fastify';
import {
  createManagedReleaseRequest,
  errorResponse,
  managedReleaseListResponse,
  managedReleaseResponse,
  registeredReleasePlanAdmissionsResponse,
  registeredReleasePlansResponse,
  registerReleaseManifestsRequest,
  releasePlanAdmissionListResponse,
  releasePlanListResponse,
  type ManagedReleaseResponse,
  type ReleasePlanAdmissionResponse,
  type ReleasePlanResponse,
} from '@slipway/contract';
import type { ReleaseCatalog } from '../../store/release-catalog.ts';
import type { ManagedTransition, StoredAdmission, StoredManagedRelease, StoredReleasePlan } from '../../store/managed-releases.ts';
import { registerAdmissions, registerReleasePlans } from '../../releases/register-release-manifests.ts';
import type { Releases } from '../../releases/start-releases.ts';
import { maskedAnswer, type OutputMasking } from '../../secrets/output-masking.ts';
import { auditHook } from '../audit-trail.ts';
import { principalOf } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';
import { parseBody } from '../parse-body.ts';
import { pageAnswer, pageParameters, pageRequestOf } from '../page-cursor.ts';

const PLANS_LIST = 'GET /api/v1/release-plans';
const ADMISSIONS_LIST = 'GET /api/v1/release-plan-admissions';
const MANAGED_LIST = 'GET /api/v1/managed-releases';
const refParams = { type: 'object', properties: { ref: { type: 'string', description: 'managed release number (of the workspace that made it) or id' } }, required: ['ref'] } as const;
const errors = { 400: jsonSchema(errorResponse), 403: jsonSchema(errorResponse), 404: jsonSchema(errorResponse) };

function planResponseOf(plan: StoredReleasePlan): ReleasePlanResponse {
  return {
    name: plan.name,
    ...(plan.spec.application ? { application: plan.spec.application } : {}),
    ...(plan.spec.applicationSet ? { applicationSet: plan.spec.applicationSet } : {}),
    target: plan.spec.target,
    autoRelease: plan.spec.autoRelease,
    ...(plan.spec.data ? { data: plan.spec.data } : {}),
    version: plan.version,
    source: plan.source,
    updatedAt: plan.updatedAt,
  };
}

function admissionResponseOf(admission: StoredAdmission): ReleasePlanAdmissionResponse {
  return {
    name: admission.name,
    origins: admission.spec.origins,
    steps: admission.spec.workflow.steps.map((s) => ({ name: s.name, ...(s.image ? { image: s.image } : {}), timeout: s.timeout })),
    secrets: admission.spec.secrets,
    // Admissions registered before they could name environments have none.
    environments: admission.spec.environments ?? [],
    policy: admission.spec.policy,
    block: admission.spec.block,
    version: admission.version,
    source: admission.source,
    updatedAt: admission.updatedAt,
  };
}

/**
 * A managed release as the API answers it: its steps' logs and reasons pass the output masking of
 * both workspaces' secrets — the managed one's, which its workflow reads, and the origin's — on top
 * of the masking of the injected secrets when the step ran.
 */
async function managedResponseOf(catalog: ReleaseCatalog, masking: OutputMasking | undefined, release: StoredManagedRelease, transitions?: ManagedTransition[]): Promise<ManagedReleaseResponse> {
  const answer = await unmaskedResponseOf(catalog, release, transitions);
  return maskedAnswer(masking, release.origin, await maskedAnswer(masking, release.target, answer));
}

async function unmaskedResponseOf(catalog: ReleaseCatalog, release: StoredManagedRelease, transitions?: ManagedTransition[]): Promise<ManagedReleaseResponse> {
  const snapshot = await catalog.getSnapshot(release.snapshotId);
  return {
    id: release.id,
    number: release.number,
    plan: release.plan,
    origin: release.origin,
    target: release.target,
    admission: release.admission,
    snapshot: { id: release.snapshotId, alias: snapshot?.alias ?? release.snapshotId.slice(0, 12) },
    author: release.author,
    state: release.state,
    ...(release.reason ? { reason: release.reason } : {}),
    data: release.data,
    policy: release.policy,
    steps: release.steps,
    createdAt: release.createdAt,
    updatedAt: release.updatedAt,
    ...(release.finishedAt ? { finishedAt: release.finishedAt } : {}),
    ...(transitions ? { transitions } : {}),
  };
}

/**
 * Releasing into managed workspaces: ReleasePlans (development workspace), ReleasePlanAdmissions
 * (managed workspace), and the managed releases made under them.
 */
export function managedReleaseRoutes(app: FastifyInstance, releases: Releases, masking?: OutputMasking): void {
  const { managed, managedStore, catalog } = releases;

  app.post(
    '/api/v1/release-plans',
    {
      schema: {
        summary: 'Register ReleasePlans of this (development) workspace from manifest files or a git repository’s .slipway/',
        tags: ['managed releases'],
        body: jsonSchema(registerReleaseManifestsRequest),
        response: { 200: jsonSchema(registeredReleasePlansResponse), 201: jsonSchema(registeredReleasePlansResponse), ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = parseBody(registerReleaseManifestsRequest, request.body);
      const { items, created } = await registerReleasePlans(
        { managed: managedStore, repositories: releases.repositories },
        principal.workspace,
        body,
        auditHook(request, (plan) => ({ kind: 'release-plan.register', subject: plan.name, details: { target: plan.spec.target, version: plan.version } })),
      );
      return reply.code(created ? 201 : 200).send({ items: items.map(planResponseOf) });
    },
  );

  app.get(
    '/api/v1/release-plans',
    { schema: { summary: 'ReleasePlans of this workspace, by name, a page at a time', tags: ['managed releases'], querystring: { type: 'object', properties: pageParameters }, response: { 200: jsonSchema(releasePlanListResponse), ...errors } } },
    async (request) => {
      const principal = principalOf(request);
      return pageAnswer(PLANS_LIST, await managedStore.pagePlans(principal.workspace, pageRequestOf(PLANS_LIST, request.query, 1)), planResponseOf);
    },
  );

  app.post(
    '/api/v1/release-plan-admissions',
    {
      schema: {
        summary: 'Register ReleasePlanAdmissions of this (managed) workspace: the origins it accepts, its workflow, secrets and policy',
        tags: ['managed releases'],
        body: jsonSchema(registerReleaseManifestsRequest),
        response: { 200: jsonSchema(registeredReleasePlanAdmissionsResponse), 201: jsonSchema(registeredReleasePlanAdmissionsResponse), ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = parseBody(registerReleaseManifestsRequest, request.body);
      const { items, created } = await registerAdmissions(
        { managed: managedStore, repositories: releases.repositories },
        principal.workspace,
        body,
        auditHook(request, (admission) => ({
          kind: 'release-plan-admission.register',
          subject: admission.name,
          details: { origins: admission.spec.origins, secrets: admission.spec.secrets, environments: admission.spec.environments, block: admission.spec.block, version: admission.version },
        })),
      );
      return reply.code(created ? 201 : 200).send({ items: items.map(admissionResponseOf) });
    },
  );

  app.get(
    '/api/v1/release-plan-admissions',
    { schema: { summary: 'ReleasePlanAdmissions of this workspace, by name, a page at a time', tags: ['managed releases'], querystring: { type: 'object', properties: pageParameters }, response: { 200: jsonSchema(releasePlanAdmissionListResponse), ...errors } } },
    async (request) => {
      const principal = principalOf(request);
      return pageAnswer(ADMISSIONS_LIST, await managedStore.pageAdmissions(principal.workspace, pageRequestOf(ADMISSIONS_LIST, request.query, 1)), admissionResponseOf);
    },
  );

  app.post(
    '/api/v1/managed-releases',
    {
      schema: {
        summary: 'Release a snapshot into a managed workspace under a ReleasePlan: it must match exactly one admission there',
        tags: ['managed releases'],
        body: jsonSchema(createManagedReleaseRequest),
        response: { 201: jsonSchema(managedReleaseResponse), ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = parseBody(createManagedReleaseRequest, request.body);
      const release = await managed.create(principal.workspace, body, principal.name);
      return reply.code(201).send(await managedResponseOf(catalog, masking, release, await managedStore.transitions(release.id)));
    },
  );

  app.get(
    '/api/v1/managed-releases',
    { schema: { summary: 'Managed releases this workspace made or received, newest first, a page at a time', tags: ['managed releases'], querystring: { type: 'object', properties: pageParameters }, response: { 200: jsonSchema(managedReleaseListResponse), ...errors } } },
    async (request) => {
      const principal = principalOf(request);
      const page = await managedStore.page(principal.workspace, pageRequestOf(MANAGED_LIST, request.query, 2));
      const items = await Promise.all(page.items.map((r) => managedResponseOf(catalog, masking, r)));
      return pageAnswer(MANAGED_LIST, { ...page, items }, (r) => r);
    },
  );

  app.get<{ Params: { ref: string } }>(
    '/api/v1/managed-releases/:ref',
    { schema: { summary: 'A managed release: its admission, policy verdicts, steps and transitions', tags: ['managed releases'], params: refParams, response: { 200: jsonSchema(managedReleaseResponse), ...errors } } },
    async (request) => {
      const principal = principalOf(request);
      const release = await managed.get(principal.workspace, request.params.ref);
      return managedResponseOf(catalog, masking, release, await managedStore.transitions(release.id));
    },
  );
}
