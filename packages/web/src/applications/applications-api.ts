import type { ApplicationBranchesResponse, ApplicationResponse, CreateEnvironmentRequest, DeployResponse, EnvironmentResponse } from '@slipway/contract';
import type { ApiClient } from '../api/api-client.ts';

const enc = encodeURIComponent;

/** Typed calls of the applications, environments, deploys and instances API used by these pages. */
export const applicationsApi = {
  list: (api: ApiClient) => api.json<{ items: ApplicationResponse[] }>('GET', '/api/v1/applications').then((r) => r.items),
  get: (api: ApiClient, name: string) => api.json<ApplicationResponse>('GET', `/api/v1/applications/${enc(name)}`),
  branches: (api: ApiClient, name: string) => api.json<ApplicationBranchesResponse>('GET', `/api/v1/applications/${enc(name)}/branches`),
  environments: (api: ApiClient, app?: string) => api.json<{ items: EnvironmentResponse[] }>('GET', '/api/v1/environments', { query: { app } }).then((r) => r.items),
  environment: (api: ApiClient, id: string) => api.json<EnvironmentResponse>('GET', `/api/v1/environments/${enc(id)}`),
  createEnvironment: (api: ApiClient, body: CreateEnvironmentRequest) => api.json<{ environment: EnvironmentResponse; deploy: DeployResponse }>('POST', '/api/v1/environments', { body }),
  deleteEnvironment: (api: ApiClient, id: string) => api.json<{ environment: EnvironmentResponse; deploy: DeployResponse }>('DELETE', `/api/v1/environments/${enc(id)}`),
  extendEnvironment: (api: ApiClient, id: string, ttl: string) => api.json<EnvironmentResponse>('POST', `/api/v1/environments/${enc(id)}/extend`, { body: { ttl } }),
  deploy: (api: ApiClient, id: string, commit?: string) => api.json<DeployResponse>('POST', `/api/v1/environments/${enc(id)}/deploys`, { body: commit ? { commit } : {} }),
  deploys: (api: ApiClient, id: string) => api.json<{ items: DeployResponse[] }>('GET', `/api/v1/environments/${enc(id)}/deploys`).then((r) => r.items),
  /** The deploy with its tasks on every change, until it has finished. */
  deployEvents: (api: ApiClient, deployId: string, signal: AbortSignal) => api.events(`/api/v1/deploys/${enc(deployId)}/events`, { signal }),
  /** An instance's log lines; with follow, new lines as they come until `signal` aborts. */
  instanceLogs: (api: ApiClient, envId: string, instance: string, options: { follow: boolean; tail: number; signal: AbortSignal }) =>
    api.lines(`/api/v1/environments/${enc(envId)}/instances/${enc(instance)}/logs`, { query: { follow: String(options.follow), tail: String(options.tail) }, signal: options.signal }),
};

/** Whether a deploy may still change. */
export const deployActive = (deploy: Pick<DeployResponse, 'state'> | undefined) => deploy?.state === 'queued' || deploy?.state === 'running';
