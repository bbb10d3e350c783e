import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query';

import { apiRequest, type StaffAuth } from '@/lib/api-client';
import { useStaffAuth } from '@/lib/staff-session';
import type { HistoryPage } from '@/types/api';

export const HISTORY_PAGE_SIZE = 10;

/** History is written from the table's stream: it may lag a change by a few seconds. */
const CATCH_UP_POLL_MS = 2000;
const CATCH_UP_FOR_MS = 30_000;

export function getHistory(id: string, cursor: string | null, auth: StaffAuth, signal?: AbortSignal) {
  return apiRequest<HistoryPage>(`/professionals/${encodeURIComponent(id)}/history`, {
    query: { limit: HISTORY_PAGE_SIZE, cursor },
    auth,
    signal,
  });
}

/**
 * The record's history, newest first, a page at a time. With `changedAt` (the record's
 * `updated_at`), it polls while its newest entry is older than that change, for at most 30 s.
 */
export function historyQueryOptions(id: string, auth: StaffAuth, changedAt?: string | null) {
  return infiniteQueryOptions({
    queryKey: ['staff', 'history', id],
    queryFn: ({ pageParam, signal }) => getHistory(id, pageParam, auth, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: (query) => {
      if (!changedAt || query.state.status !== 'success') return false;
      const changed = Date.parse(changedAt);
      const newest = Date.parse(query.state.data?.pages[0]?.items[0]?.at ?? '') || 0;
      return newest < changed && Date.now() - changed < CATCH_UP_FOR_MS ? CATCH_UP_POLL_MS : false;
    },
  });
}

export function useHistory(id: string, changedAt?: string | null) {
  const { auth } = useStaffAuth();
  return useInfiniteQuery(historyQueryOptions(id, auth, changedAt));
}
