import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ApiError } from '../api/api-client.ts';

/** Shared loading and error states: every view shows one of these while it has no data. */
export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

/** An error in words; `failed` says what did not work when it was not loading ("Could not delete the environment"). */
export function ErrorMessage({ error, retry, what, failed }: { error: unknown; retry?: () => void; what?: string; failed?: string }) {
  const message = error instanceof Error ? error.message : String(error);
  const notFound = error instanceof ApiError && error.status === 404;
  return (
    <div className="error" role="alert">
      <p>
        <strong>{failed ?? (notFound ? 'Not found' : `Could not load ${what ?? 'this'}`)}:</strong> {message}
      </p>
      {retry && !notFound ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** Renders a query's data, or its loading or error state. */
export function QueryView<T>({ query, what, children }: { query: UseQueryResult<T>; what: string; children: (data: T) => ReactNode }) {
  if (query.isPending) return <Loading what={what} />;
  if (query.isError) return <ErrorMessage error={query.error} what={what} retry={() => void query.refetch()} />;
  return <>{children(query.data)}</>;
}
