import { AuthenticationError, ConflictError, InputError, NotAllowedError, NotFoundError } from '@slipway/core';
import type { ErrorResponse } from '@slipway/contract';
import { AuditUnavailableError } from '../store/audit-ledger.ts';

/** The one mapping from domain errors to HTTP: status and body. 5xx bodies never carry internals. */
export function toHttpError(error: unknown): { status: number; body: ErrorResponse } {
  const body = (code: ErrorResponse['error']['code'], message: string, extra: Partial<ErrorResponse['error']> = {}) => ({ error: { code, message, ...extra } });
  if (error instanceof InputError) return { status: 400, body: body('invalid_input', error.message, error.diagnostics.length ? { diagnostics: error.diagnostics } : {}) };
  if (error instanceof AuthenticationError) return { status: 401, body: body('unauthenticated', error.message) };
  if (error instanceof NotAllowedError) return { status: 403, body: body('not_allowed', error.message) };
  if (error instanceof NotFoundError) return { status: 404, body: body('not_found', error.message) };
  // The reason is the ledger's, not an internal's: whoever runs the server must see it to act.
  if (error instanceof AuditUnavailableError) return { status: 503, body: body('audit_unavailable', error.message) };
  if (error instanceof ConflictError) return { status: 409, body: body('conflict', error.message) };
  const fastify = error as { statusCode?: number; validation?: unknown; message?: string };
  if (fastify.validation) return { status: 400, body: body('invalid_input', `invalid request: ${fastify.message ?? ''}`.trim()) };
  if (fastify.statusCode && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return { status: fastify.statusCode, body: body(fastify.statusCode === 404 ? 'not_found' : 'invalid_input', fastify.message ?? 'bad request') };
  }
  return { status: 500, body: body('internal', 'internal error; the server log has the details') };
}
