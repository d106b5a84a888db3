import type { z } from 'zod';
import { formatPath } from '@slipway/contract';
import { InputError } from '@slipway/core';

/** Validates a request body with its contract schema; every problem is named by its path. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new InputError(
    'invalid request body',
    result.error.issues.map((i) => ({ severity: 'error' as const, path: formatPath(i.path as (string | number)[]) || '(body)', message: i.message })),
  );
}

/** Validates query parameters with their contract schema; every problem is named by its parameter. */
export function parseQuery<T>(schema: z.ZodType<T>, query: unknown): T {
  const result = schema.safeParse(query ?? {});
  if (result.success) return result.data;
  throw new InputError(
    'invalid query parameters',
    result.error.issues.map((i) => ({ severity: 'error' as const, path: formatPath(i.path as (string | number)[]) || '(query)', message: i.message })),
  );
}
