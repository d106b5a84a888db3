import type { ApiClient } from './api-client.ts';

// Every list endpoint answers a page and the cursor of the next (GET ...?limit=&cursor=). The pages
// read a short list whole, page by page, and a long one (environments) a page at a time on demand.

/** A page of a list endpoint, as the API answers it. */
export interface ListPage<T> {
  items: T[];
  nextCursor: string | null;
}

/** One page of `path` from `cursor` (the first without one). */
export function listPage<T>(api: ApiClient, path: string, options: { query?: Record<string, string | undefined>; cursor?: string | null; limit?: number } = {}): Promise<ListPage<T>> {
  const query = { ...options.query, ...(options.cursor ? { cursor: options.cursor } : {}), ...(options.limit !== undefined ? { limit: String(options.limit) } : {}) };
  return api.json<ListPage<T>>('GET', path, { query });
}

/** The most pages `everyItem` reads: a list longer than that is not one to show whole. */
const MAX_PAGES = 20;

/** Every item of a list that stays short (applications, tracks, plans), its pages of 1000 one after another. */
export async function everyItem<T>(api: ApiClient, path: string, query: Record<string, string | undefined> = {}): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const page: ListPage<T> = await listPage<T>(api, path, { query, cursor, limit: 1000 });
    items.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return items;
}
