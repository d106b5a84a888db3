import { z } from 'zod';

// Every list endpoint answers a page: `limit` rows at most, in a stable order, and `nextCursor` to
// ask for the rows after them. A cursor names the last row's position in that order, never an
// offset, so rows inserted or deleted between two requests neither shift a page nor repeat a row.

/** Rows in a page when the request does not say. */
export const DEFAULT_PAGE_LIMIT = 100;
/** The most rows a page may hold. */
export const MAX_PAGE_LIMIT = 1000;

const limitMessage = `expected an integer from 1 to ${MAX_PAGE_LIMIT} (the default is ${DEFAULT_PAGE_LIMIT})`;

/** `?limit=&cursor=` of every list endpoint. */
export const pageQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,7}$/, { message: limitMessage })
    .transform(Number)
    .pipe(z.number().int().min(1, { message: limitMessage }).max(MAX_PAGE_LIMIT, { message: limitMessage }))
    .optional()
    .describe(`rows per page, 1 to ${MAX_PAGE_LIMIT} (default ${DEFAULT_PAGE_LIMIT})`),
  cursor: z.string().min(1).max(4096).optional().describe('the nextCursor of the previous page, unchanged; absent for the first page'),
});
export type PageQuery = z.infer<typeof pageQuery>;

/** What every list answer carries beside its items. */
export const nextCursor = z.string().nullable().describe('pass as cursor= for the next page; null on the last page');

/** A list answer: a page of `item`s and the cursor of the next page. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor });
}

/** The query string of a page request, for clients. */
export function pageSearch(page: { limit?: number; cursor?: string | null }): Record<string, string> {
  return { ...(page.limit !== undefined ? { limit: String(page.limit) } : {}), ...(page.cursor ? { cursor: page.cursor } : {}) };
}
