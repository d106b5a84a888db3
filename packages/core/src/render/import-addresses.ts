/** A service of an imported environment: its URL through the router, and where it is reached directly, when it is. */
export interface ImportedService {
  service: string;
  /** Its URL through the router (what rendering gave as `<SERVICE>_URL`), when it has one. */
  routerUrl?: string;
  /** Direct address from the importer's services: a name on a shared network, or a loopback address. */
  direct?: { host: string; port: number; http: boolean };
}

/** What rendering gives an importer for one imported service: `<SERVICE>_URL`, `_HOST` and `_PORT`, each when known. */
export interface ImportedAddress {
  url?: string;
  host: string;
  port?: number;
}

/**
 * App Imports at deploy time: the addresses to render the importing environment with (renderEnvironment's
 * `imported`), once its imports are linked. A service reached directly gives `http://host:port` (for
 * an HTTP port), its host and its port in place of the router's URL and host; one reached only
 * through the router keeps them. Rendering puts them beneath everything else, so the importer's own
 * service of the same name and a value its manifest or environment sets win, and env.mapping reads
 * them. Pure.
 */
export function importedAddresses(imported: ImportedService[]): Record<string, ImportedAddress> {
  const result: Record<string, ImportedAddress> = {};
  for (const item of imported) {
    // Two imports with a service of the same name: the first import's, as before they were linked.
    if (result[item.service]) continue;
    if (item.direct) {
      const { host, port, http } = item.direct;
      result[item.service] = { ...(http ? { url: `http://${host}:${port}` } : {}), host, port };
    } else if (item.routerUrl) {
      result[item.service] = { url: item.routerUrl, host: new URL(item.routerUrl).hostname };
    }
  }
  return result;
}
