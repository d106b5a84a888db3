import type { ReleaseActionsResponse, ReleaseResponse, ReleaseTrackResponse, TrackViewResponse } from '@slipway/contract';
import type { ApiClient } from '../api/api-client.ts';

/** Typed calls of the release tracks and releases API used by the release pages. */
export const releasesApi = {
  tracks: (api: ApiClient) => api.json<{ items: ReleaseTrackResponse[] }>('GET', '/api/v1/tracks').then((r) => r.items),
  trackView: (api: ApiClient, name: string) => api.json<TrackViewResponse>('GET', `/api/v1/tracks/${encodeURIComponent(name)}/view`),
  list: (api: ApiClient, track: string) => api.json<{ items: ReleaseResponse[] }>('GET', '/api/v1/releases', { query: { track } }).then((r) => r.items),
  get: (api: ApiClient, ref: string) => api.json<ReleaseResponse>('GET', `/api/v1/releases/${encodeURIComponent(ref)}`),
  actions: (api: ApiClient, ref: string) => api.json<ReleaseActionsResponse>('GET', `/api/v1/releases/${encodeURIComponent(ref)}/actions`),
  approve: (api: ApiClient, ref: string, comment?: string) => api.json<ReleaseResponse>('POST', `/api/v1/releases/${encodeURIComponent(ref)}/approve`, { body: comment ? { comment } : {} }),
  reject: (api: ApiClient, ref: string, reason: string) => api.json<ReleaseResponse>('POST', `/api/v1/releases/${encodeURIComponent(ref)}/reject`, { body: { reason } }),
};

/** How often the release pages look again while something may move (a deploy, a test job, the controller). */
export const RELEASE_POLL_MS = 1_500;
