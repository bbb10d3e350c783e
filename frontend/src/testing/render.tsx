import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { createMemoryRouter, RouterProvider, type RouteObject } from 'react-router';

import { StaffSessionProvider, STAFF_KEY_STORAGE } from '@/lib/staff-session';

export function renderApp(
  routes: RouteObject[],
  { path = '/', staffKey }: { path?: string; staffKey?: string } = {},
) {
  if (staffKey) sessionStorage.setItem(STAFF_KEY_STORAGE, staffKey);
  const queryClient = new QueryClient({
    defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } },
  });
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const view = render(
    <QueryClientProvider client={queryClient}>
      <StaffSessionProvider>
        <RouterProvider router={router} />
      </StaffSessionProvider>
    </QueryClientProvider>,
  );
  return { ...view, router, queryClient };
}

export function renderRoute(element: ReactElement, options?: { path?: string; staffKey?: string }) {
  return renderApp([{ path: '*', element }], options);
}
