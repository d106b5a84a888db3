import { useInfiniteQuery, type QueryKey } from '@tanstack/react-query';
import type { ListPage } from './list-pages.ts';

/** Pages kept fresh at the list's own interval; beyond them a list refreshes less often, so many pages shown do not mean many requests each time. */
const FRESH_PAGES = 5;
const SLOW_REFRESH_MS = 30_000;

/**
 * A long list read a page at a time: the first page at once, the next when the reader asks for it
 * (`fetchNextPage`, which `<ShowMore>` offers). The pages shown refresh every `refetchInterval` ms
 * (every 30 s once more than five are shown).
 */
export function usePagedList<T>(options: { queryKey: QueryKey; page: (cursor: string | null) => Promise<ListPage<T>>; refetchInterval?: number }) {
  const { refetchInterval } = options;
  return useInfiniteQuery({
    queryKey: options.queryKey,
    queryFn: ({ pageParam }) => options.page(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    ...(refetchInterval !== undefined ? { refetchInterval: (query: { state: { data?: { pages: unknown[] } } }) => ((query.state.data?.pages.length ?? 0) > FRESH_PAGES ? Math.max(SLOW_REFRESH_MS, refetchInterval) : refetchInterval) } : {}),
  });
}
