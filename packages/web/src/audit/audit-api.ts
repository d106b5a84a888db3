import type { AuditListResponse, AuditVerifyResponse } from '@slipway/contract';
import type { ApiClient } from '../api/api-client.ts';

export interface AuditFilter {
  actor?: string;
  kind?: string;
  since?: string;
  until?: string;
}

/** Typed calls of the audit ledger API used by the audit page. */
export const auditApi = {
  list: (api: ApiClient, filter: AuditFilter, before?: number) =>
    api.json<AuditListResponse>('GET', '/api/v1/audit', { query: { ...filter, limit: '50', ...(before !== undefined ? { before: String(before) } : {}) } }),
  verify: (api: ApiClient) => api.json<AuditVerifyResponse>('GET', '/api/v1/audit/verify'),
};
