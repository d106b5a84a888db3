import { createHash } from 'node:crypto';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, pageQuery } from '@slipway/contract';
import { InputError } from '@slipway/core';
import type { KeysetPage, PageKey, PageRequest } from '../store/keyset-page.ts';

// The cursor a list answer hands out is opaque to clients: base64url of the list's name and the
// key of the page's last row, and a checksum. The checksum is not a secret (a cursor only says where
// a page starts; what a caller may see is decided by the query itself), it makes any edited,
// truncated or foreign cursor a clear 400 instead of a page that starts somewhere unexpected.

const CHECK_LENGTH = 12;

/** The cursor that makes `list` continue after `key`. */
export function encodeCursor(list: string, key: PageKey): string {
  const payload = Buffer.from(JSON.stringify([list, key])).toString('base64url');
  return `${payload}.${checksum(payload)}`;
}

/** The key a cursor of `list` holds, with as many values as `arity`; an InputError for any other string. */
export function decodeCursor(list: string, cursor: string, arity: number): PageKey {
  const invalid = (why: string) => {
    const message = `${why}: pass the nextCursor of the previous page of ${list} unchanged, or leave cursor out for the first page`;
    return new InputError(`invalid query parameter cursor: ${message}`, [{ severity: 'error', path: 'cursor', message }]);
  };
  const [payload, check, ...extra] = cursor.split('.');
  if (!payload || !check || extra.length > 0 || checksum(payload) !== check) throw invalid('not a cursor this server issued (it was edited or cut short)');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not a cursor this server issued');
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || typeof decoded[0] !== 'string') throw invalid('not a cursor this server issued');
  if (decoded[0] !== list) throw invalid(`a cursor of ${decoded[0]}, not of this list`);
  const key: unknown = decoded[1];
  if (!Array.isArray(key) || key.length !== arity || !key.every((v) => typeof v === 'string' || typeof v === 'number')) throw invalid('not a cursor of this list');
  return key as PageKey;
}

/** A list route's `?limit=&cursor=`, validated: the page to read. */
export function pageRequestOf(list: string, query: unknown, arity: number): PageRequest {
  const parameters = pickPageParameters(query);
  const parsed = pageQuery.safeParse(parameters);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'limit') as 'limit' | 'cursor';
    throw new InputError(`invalid query parameter ${name}=${JSON.stringify(parameters[name])}: ${issue.message}`, parsed.error.issues.map((i) => ({ severity: 'error' as const, path: String(i.path[0] ?? name), message: i.message })));
  }
  const { limit, cursor } = parsed.data;
  return { limit: limit ?? DEFAULT_PAGE_LIMIT, ...(cursor ? { after: decodeCursor(list, cursor, arity) } : {}) };
}

/** A page as the API answers it: `items` and `nextCursor` (null on the last page). */
export function pageAnswer<T, U>(list: string, page: KeysetPage<T>, toItem: (item: T) => U): { items: U[]; nextCursor: string | null } {
  return { items: page.items.map(toItem), nextCursor: page.nextKey ? encodeCursor(list, page.nextKey) : null };
}

function pickPageParameters(query: unknown): { limit?: unknown; cursor?: unknown } {
  const q = (query ?? {}) as Record<string, unknown>;
  return { ...(q.limit !== undefined ? { limit: q.limit } : {}), ...(q.cursor !== undefined ? { cursor: q.cursor } : {}) };
}

function checksum(payload: string): string {
  return createHash('sha256').update(payload).digest('base64url').slice(0, CHECK_LENGTH);
}

/** `limit` and `cursor` as the OpenAPI document shows them, to spread into a route's querystring properties. */
export const pageParameters = {
  limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT, description: `rows per page, 1 to ${MAX_PAGE_LIMIT} (default ${DEFAULT_PAGE_LIMIT})` },
  cursor: { type: 'string', description: 'the nextCursor of the previous page, unchanged; absent for the first page' },
} as const;
