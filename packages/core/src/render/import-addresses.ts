import type { RenderedEnvironment, ResolvedEnvValue } from '@slipway/contract';
import { serviceVariablePrefix } from '../application/builtin-variables.ts';

/** A service of an imported environment: its URL through the router, and where it is reached directly, when it is. */
export interface ImportedService {
  service: string;
  /** Its URL through the router (what rendering gave as `<SERVICE>_URL`), when it has one. */
  routerUrl?: string;
  /** Direct address from the importer's services: a name on a shared network, or a loopback address. */
  direct?: { host: string; port: number; http: boolean };
}

/**
 * App Imports at deploy time: gives the importing environment's services and jobs the direct
 * address of each imported service — `<SERVICE>_URL` (`http://host:port`, for an HTTP port),
 * `<SERVICE>_HOST` and `<SERVICE>_PORT` — in place of the router URL and host that rendering put
 * there. A service of the importer's own with the same name wins, and so does a value the manifest
 * or the environment's variables set (anything but the router's). Pure.
 */
export function withImportAddresses(rendered: RenderedEnvironment, imported: ImportedService[]): RenderedEnvironment {
  const own = new Set(rendered.services.map((s) => s.name));
  const apply = (env: Record<string, ResolvedEnvValue>): Record<string, ResolvedEnvValue> => {
    const next = { ...env };
    for (const item of imported) {
      if (own.has(item.service) || !item.direct) continue;
      const prefix = serviceVariablePrefix(item.service);
      const routerHost = item.routerUrl ? new URL(item.routerUrl).hostname : undefined;
      const replaceable = (key: string, routerValue: string | undefined) => next[key] === undefined || (routerValue !== undefined && next[key] === routerValue);
      if (!replaceable(`${prefix}_URL`, item.routerUrl) || !replaceable(`${prefix}_HOST`, routerHost)) continue;
      if (item.direct.http) next[`${prefix}_URL`] = `http://${item.direct.host}:${item.direct.port}`;
      else delete next[`${prefix}_URL`];
      next[`${prefix}_HOST`] = item.direct.host;
      next[`${prefix}_PORT`] = String(item.direct.port);
    }
    return next;
  };
  return {
    ...rendered,
    services: rendered.services.map((s) => ({ ...s, env: apply(s.env) })),
    jobs: rendered.jobs.map((j) => ({ ...j, env: apply(j.env) })),
    cronJobs: rendered.cronJobs.map((j) => ({ ...j, env: apply(j.env) })),
  };
}
