import type { ApplicationResponse, EnvironmentResponse } from '@slipway/contract';
import type { ApiClient } from '../api/api-client.ts';

/** Typed calls of the applications and environments API used by these pages. */
export const applicationsApi = {
  list: (api: ApiClient) => api.json<{ items: ApplicationResponse[] }>('GET', '/api/v1/applications').then((r) => r.items),
  get: (api: ApiClient, name: string) => api.json<ApplicationResponse>('GET', `/api/v1/applications/${encodeURIComponent(name)}`),
  environments: (api: ApiClient, app?: string) => api.json<{ items: EnvironmentResponse[] }>('GET', '/api/v1/environments', { query: { app } }).then((r) => r.items),
};
