import type { ReleaseActionsResponse, ReleaseResponse, ReleaseTrackResponse, SnapshotResponse, TrackViewResponse } from '@slipway/contract';
import type { ApiClient } from '../api/api-client.ts';
import { everyItem, listPage } from '../api/list-pages.ts';

const releasePath = (ref: string, action: string) => `/api/v1/releases/${encodeURIComponent(ref)}/${action}`;
/** A body with the reason when one is given: the API keeps it with the release and the audit entry. */
const withReason = (reason?: string) => (reason ? { reason } : {});

/** Typed calls of the release tracks and releases API used by the release pages. */
export const releasesApi = {
  tracks: (api: ApiClient) => everyItem<ReleaseTrackResponse>(api, '/api/v1/tracks'),
  trackView: (api: ApiClient, name: string) => api.json<TrackViewResponse>('GET', `/api/v1/tracks/${encodeURIComponent(name)}/view`),
  /** One page of the releases along a track, newest first; the next from `cursor`. */
  list: (api: ApiClient, track: string, cursor: string | null = null) => listPage<ReleaseResponse>(api, '/api/v1/releases', { query: { track }, cursor }),
  get: (api: ApiClient, ref: string) => api.json<ReleaseResponse>('GET', `/api/v1/releases/${encodeURIComponent(ref)}`),
  actions: (api: ApiClient, ref: string) => api.json<ReleaseActionsResponse>('GET', releasePath(ref, 'actions')),
  /** The newest snapshots (one page), and whether older ones follow. */
  snapshots: (api: ApiClient, set?: string) => listPage<SnapshotResponse>(api, '/api/v1/snapshots', { query: { set } }),
  snapshot: (api: ApiClient, ref: string) => api.json<SnapshotResponse>('GET', `/api/v1/snapshots/${encodeURIComponent(ref)}`),
  create: (api: ApiClient, body: { snapshot: string; hotfix: boolean; track: string }) => api.json<ReleaseResponse>('POST', '/api/v1/releases', { body }),
  approve: (api: ApiClient, ref: string, comment?: string) => api.json<ReleaseResponse>('POST', releasePath(ref, 'approve'), { body: comment ? { comment } : {} }),
  reject: (api: ApiClient, ref: string, reason: string) => api.json<ReleaseResponse>('POST', releasePath(ref, 'reject'), { body: { reason } }),
  promote: (api: ApiClient, ref: string, reason?: string) => api.json<ReleaseResponse>('POST', releasePath(ref, 'promote'), { body: withReason(reason) }),
  abort: (api: ApiClient, ref: string, reason?: string) => api.json<ReleaseResponse>('POST', releasePath(ref, 'abort'), { body: withReason(reason) }),
  /** Answers the rollback release it made. */
  rollback: (api: ApiClient, ref: string, stage: string, reason?: string) => api.json<ReleaseResponse>('POST', releasePath(ref, 'rollback'), { body: { stage, ...withReason(reason) } }),
};

/** How often the release pages look again while something may move (a deploy, a test job, the controller). */
export const RELEASE_POLL_MS = 1_500;
