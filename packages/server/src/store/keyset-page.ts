import { sql, type SelectQueryBuilder } from 'kysely';

// Keyset pagination: a page is "the first `limit` rows after this key" in an order over unique
// columns, so a page costs an index range scan however deep it is, and rows inserted or deleted
// before the key move nothing after it (an offset would skip or repeat rows then).

/** A position in a list's order: the order columns' values of the last row a page held. */
export type PageKey = readonly (string | number)[];

/** Which page to read: at most `limit` rows, those after `after` (from the start without it). */
export interface PageRequest {
  limit: number;
  after?: PageKey;
}

/** A page of rows and, when more rows follow, the key of its last row to read the next page from. */
export interface KeysetPage<T> {
  items: T[];
  nextKey?: PageKey;
}

/** A list's order: columns that together name one row, all ascending or all descending. */
export interface KeysetOrder<Row> {
  columns: readonly string[];
  direction: 'asc' | 'desc';
  /** The values of `columns` in a row, in the same order. */
  keyOf: (row: Row) => PageKey;
}

/** Reads one page of `query` in `order`: the rows after `page.after`, and whether more follow. */
export async function keysetPage<DB, TB extends keyof DB, Row>(query: SelectQueryBuilder<DB, TB, Row>, order: KeysetOrder<Row>, page: PageRequest): Promise<KeysetPage<Row>> {
  let paged = query;
  if (page.after) {
    if (page.after.length !== order.columns.length) throw new Error(`a key of ${page.after.length} values for an order of ${order.columns.length} columns`);
    // A row-value comparison, (a, b) > (x, y): SQLite and PostgreSQL both answer it from an index on (a, b).
    const columns = sql.join(order.columns.map((c) => sql.ref(c)));
    const values = sql.join(page.after.map((v) => sql.val(v)));
    paged = paged.where(sql<boolean>`(${columns}) ${sql.raw(order.direction === 'asc' ? '>' : '<')} (${values})`);
  }
  for (const column of order.columns) paged = paged.orderBy(sql.ref(column), order.direction);
  const rows = await paged.limit(page.limit + 1).execute();
  const items = rows.slice(0, page.limit);
  return rows.length > page.limit ? { items, nextKey: order.keyOf(items[items.length - 1]!) } : { items };
}

/**
 * One page of a list held in memory (read whole from a source that cannot page, such as a driver's
 * instances or a repository's branches), with the same keys and guarantees as a keyset page.
 */
export function pageInMemory<T>(all: readonly T[], keyOf: (item: T) => PageKey, page: PageRequest): KeysetPage<T> {
  const sorted = [...all].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  const start = page.after ? sorted.findIndex((item) => compareKeys(keyOf(item), page.after!) > 0) : 0;
  const rest = start < 0 ? [] : sorted.slice(start);
  const items = rest.slice(0, page.limit);
  return rest.length > page.limit ? { items, nextKey: keyOf(items[items.length - 1]!) } : { items };
}

function compareKeys(a: PageKey, b: PageKey): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    // Code-point order, as SQL compares text under the binary collation SQLite uses by default.
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}
