import type { FastifyInstance } from 'fastify';
import {
  applicationSetListResponse,
  registeredApplicationSetsResponse,
  registeredReleaseTracksResponse,
  applicationSetResponse,
  errorResponse,
  registerReleaseManifestsRequest,
  releaseTrackListResponse,
  releaseTrackResponse,
  trackViewResponse,
} from '@slipway/contract';
import { registerApplicationSets, registerReleaseTracks } from '../../releases/register-release-manifests.ts';
import { laneRefusal } from '../../releases/release-service.ts';
import { setResponseOf, trackResponseOf } from '../../releases/release-views.ts';
import type { Releases } from '../../releases/start-releases.ts';
import { auditHook } from '../audit-trail.ts';
import { principalOf } from '../authorize.ts';
import { jsonSchema } from '../json-schema.ts';
import { parseBody } from '../parse-body.ts';
import { actionOf, releaseActionRoles } from './release-actions.ts';
import { pageAnswer, pageParameters, pageRequestOf } from '../page-cursor.ts';

const SETS_LIST = 'GET /api/v1/sets';
const TRACKS_LIST = 'GET /api/v1/tracks';
const nameParams = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } as const;
const errors = { 400: jsonSchema(errorResponse), 404: jsonSchema(errorResponse) };

/** ApplicationSets and ReleaseTracks: registered from manifests or a repository's .slipway/, listed, and a track stage by stage. */
export function releaseManifestRoutes(app: FastifyInstance, releases: Releases): void {
  app.post(
    '/api/v1/sets',
    {
      schema: {
        summary: 'Register ApplicationSets from manifest files or a git repository’s .slipway/ (a set registered again is replaced)',
        tags: ['releases'],
        body: jsonSchema(registerReleaseManifestsRequest),
        response: { 200: jsonSchema(registeredApplicationSetsResponse), 201: jsonSchema(registeredApplicationSetsResponse), ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = parseBody(registerReleaseManifestsRequest, request.body);
      const { sets, created } = await registerApplicationSets(
        releases,
        principal.workspace,
        body,
        auditHook(request, (set) => ({ kind: 'application-set.register', subject: set.name, details: { version: set.version, applications: set.applications, source: set.source } })),
      );
      return reply.code(created ? 201 : 200).send({ items: sets.map(setResponseOf) });
    },
  );

  app.get(
    '/api/v1/sets',
    { schema: { summary: 'The workspace’s application sets, by name, a page at a time', tags: ['releases'], querystring: { type: 'object', properties: pageParameters }, response: { 200: jsonSchema(applicationSetListResponse), ...errors } } },
    async (request) => {
      const principal = principalOf(request);
      return pageAnswer(SETS_LIST, await releases.catalog.pageSets(principal.workspace, pageRequestOf(SETS_LIST, request.query, 1)), setResponseOf);
    },
  );

  app.get<{ Params: { name: string } }>(
    '/api/v1/sets/:name',
    { schema: { summary: 'An application set and its members', tags: ['releases'], params: nameParams, response: { 200: jsonSchema(applicationSetResponse), ...errors } } },
    async (request) => {
      const principal = principalOf(request);
      const set = await releases.snapshots.set(principal.workspace, request.params.name);
      const members = await releases.snapshots.members(principal.workspace, set).catch(() => undefined);
      return setResponseOf(members ? { ...set, applications: members.map((m) => m.name) } : set);
    },
  );

  app.post(
    '/api/v1/tracks',
    {
      schema: {
        summary: 'Register ReleaseTracks from manifest files or a git repository’s .slipway/ (a track registered again is replaced; releases under way keep their stages)',
        tags: ['releases'],
        body: jsonSchema(registerReleaseManifestsRequest),
        response: { 200: jsonSchema(registeredReleaseTracksResponse), 201: jsonSchema(registeredReleaseTracksResponse), ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = parseBody(registerReleaseManifestsRequest, request.body);
      const { tracks, created } = await registerReleaseTracks(
        releases,
        principal.workspace,
        body,
        auditHook(request, (track) => ({ kind: 'release-track.register', subject: track.name, details: { version: track.version, source: track.source } })),
      );

      return reply.code(created ? 201 : 200).send({ items: tracks.map(trackResponseOf) });
    },
  );

  app.get(
    '/api/v1/tracks',
    { schema: { summary: 'The workspace’s release tracks, by name, a page at a time', tags: ['releases'], querystring: { type: 'object', properties: pageParameters }, response: { 200: jsonSchema(releaseTrackListResponse), ...errors } } },
    async (request) => {
      const principal = principalOf(request);
      return pageAnswer(TRACKS_LIST, await releases.catalog.pageTracks(principal.workspace, pageRequestOf(TRACKS_LIST, request.query, 1)), trackResponseOf);
    },
  );

  app.get<{ Params: { name: string } }>(
    '/api/v1/tracks/:name',
    { schema: { summary: 'A release track: its stages and gates', tags: ['releases'], params: nameParams, response: { 200: jsonSchema(releaseTrackResponse), ...errors } } },
    async (request) => {
      const principal = principalOf(request);
      return trackResponseOf(await releases.service.track(principal.workspace, request.params.name));
    },
  );

  app.get<{ Params: { name: string } }>(
    '/api/v1/tracks/:name/view',
    {
      schema: {
        summary: 'A release track stage by stage: where each release stands, its gates and missing approvals, what each stage runs, and whether the caller may start a release or a hotfix on it',
        tags: ['releases'],
        params: nameParams,
        response: { 200: jsonSchema(trackViewResponse), ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const view = await releases.service.trackView(principal.workspace, request.params.name);
      const track = await releases.service.track(principal.workspace, request.params.name);
      // What the caller may start here, by the role and the rule POST /api/v1/releases applies (400 when the track has no stages for it).
      const actions = { createRelease: actionOf(principal, releaseActionRoles.create, laneRefusal(track, 'release'), 400), startHotfix: actionOf(principal, releaseActionRoles.create, laneRefusal(track, 'hotfix'), 400) };
      return { ...view, actions };
    },
  );
}
