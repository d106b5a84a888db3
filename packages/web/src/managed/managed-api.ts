import type { ManagedReleaseResponse, ReleasePlanAdmissionResponse, ReleasePlanResponse } from '@slipway/contract';
import type { ApiClient } from '../api/api-client.ts';
import { everyItem, listPage } from '../api/list-pages.ts';

/** Typed calls of the release plans, admissions and managed releases API used by the managed release pages. */
export const managedApi = {
  plans: (api: ApiClient) => everyItem<ReleasePlanResponse>(api, '/api/v1/release-plans'),
  admissions: (api: ApiClient) => everyItem<ReleasePlanAdmissionResponse>(api, '/api/v1/release-plan-admissions'),
  /** One page of the managed releases, newest first; the next from `cursor`. */
  releases: (api: ApiClient, cursor: string | null = null) => listPage<ManagedReleaseResponse>(api, '/api/v1/managed-releases', { cursor }),
  /** One managed release with its steps' (masked) logs and its transitions. */
  release: (api: ApiClient, ref: string) => api.json<ManagedReleaseResponse>('GET', `/api/v1/managed-releases/${encodeURIComponent(ref)}`),
};

/** How often the pages look again while a managed release may still move. */
export const MANAGED_POLL_MS = 1_500;

/** Whether a managed release has ended (nothing more will run). */
export const managedEnded = (release: Pick<ManagedReleaseResponse, 'state'>) => ['Promoted', 'Rejected', 'Failed', 'Errored', 'Aborted'].includes(release.state);
