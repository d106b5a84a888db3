import type { ApplicationBranchesResponse, ApplicationResponse, CreateEnvironmentRequest, DeployResponse, EnvironmentResponse } from '@slipway/contract';
import type { ApiClient } from '../api/api-client.ts';
import { listPage } from '../api/list-pages.ts';

const enc = encodeURIComponent;

/** Typed calls of the applications, environments, deploys and instances API used by these pages. */
export const applicationsApi = {
  /** One page of the applications by name, each with its count of live environments; the next from `cursor`. */
  page: (api: ApiClient, cursor: string | null = null) => listPage<ApplicationResponse>(api, '/api/v1/applications', { cursor }),
  get: (api: ApiClient, name: string) => api.json<ApplicationResponse>('GET', `/api/v1/applications/${enc(name)}`),
  branches: (api: ApiClient, name: string) => api.json<ApplicationBranchesResponse>('GET', `/api/v1/applications/${enc(name)}/branches`),
  /** One page of the live environments (of one application), by id; the next from `cursor`. */
  environments: (api: ApiClient, options: { app?: string; cursor?: string | null; limit?: number } = {}) =>
    listPage<EnvironmentResponse>(api, '/api/v1/environments', { query: { app: options.app }, cursor: options.cursor ?? null, ...(options.limit !== undefined ? { limit: options.limit } : {}) }),
  /** The live environment with this id, read from the list (no 404 when it is gone: undefined). */
  liveEnvironment: (api: ApiClient, id: string) => listPage<EnvironmentResponse>(api, '/api/v1/environments', { query: { id } }).then((page) => page.items[0]),
  environment: (api: ApiClient, id: string) => api.json<EnvironmentResponse>('GET', `/api/v1/environments/${enc(id)}`),
  createEnvironment: (api: ApiClient, body: CreateEnvironmentRequest) => api.json<{ environment: EnvironmentResponse; deploy: DeployResponse }>('POST', '/api/v1/environments', { body }),
  deleteEnvironment: (api: ApiClient, id: string) => api.json<{ environment: EnvironmentResponse; deploy: DeployResponse }>('DELETE', `/api/v1/environments/${enc(id)}`),
  extendEnvironment: (api: ApiClient, id: string, ttl: string) => api.json<EnvironmentResponse>('POST', `/api/v1/environments/${enc(id)}/extend`, { body: { ttl } }),
  pauseEnvironment: (api: ApiClient, id: string) => api.json<EnvironmentResponse>('POST', `/api/v1/environments/${enc(id)}/pause`, { body: {} }),
  resumeEnvironment: (api: ApiClient, id: string) => api.json<EnvironmentResponse>('POST', `/api/v1/environments/${enc(id)}/resume`, { body: {} }),
  deploy: (api: ApiClient, id: string, commit?: string) => api.json<DeployResponse>('POST', `/api/v1/environments/${enc(id)}/deploys`, { body: commit ? { commit } : {} }),
  /** One page of an environment's deploys, newest first; the next from `cursor`. */
  deploys: (api: ApiClient, id: string, cursor: string | null = null) => listPage<DeployResponse>(api, `/api/v1/environments/${enc(id)}/deploys`, { cursor }),
  /** The deploy with its tasks on every change, until it has finished. */
  deployEvents: (api: ApiClient, deployId: string, signal: AbortSignal) => api.events(`/api/v1/deploys/${enc(deployId)}/events`, { signal }),
  /** An instance's log lines; with follow, new lines as they come until `signal` aborts. */
  instanceLogs: (api: ApiClient, envId: string, instance: string, options: { follow: boolean; tail: number; signal: AbortSignal }) =>
    api.lines(`/api/v1/environments/${enc(envId)}/instances/${enc(instance)}/logs`, { query: { follow: String(options.follow), tail: String(options.tail) }, signal: options.signal }),
};

/** Whether a deploy may still change. */
export const deployActive = (deploy: Pick<DeployResponse, 'state'> | undefined) => deploy?.state === 'queued' || deploy?.state === 'running';
