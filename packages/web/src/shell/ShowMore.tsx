/** Below a paged list while more rows follow: how many are shown, and a button for the next page. */
export function ShowMore({ list, shown, pageSize, what }: { list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown }; shown: number; pageSize: number; what: string }) {
  if (!list.hasNextPage) return null;
  return (
    <p className="show-more">
      <button type="button" className="secondary" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
        {list.isFetchingNextPage ? 'Loading…' : `Show ${pageSize} more ${what}`}
      </button>{' '}
      <span className="hint">
        {shown} shown; there are more
      </span>
    </p>
  );
}
