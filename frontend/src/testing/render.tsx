import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { createMemoryRouter, RouterProvider, type RouteObject } from 'react-router';

import type { StaffAuthClient } from '@/lib/staff-auth';
import { StaffSessionProvider } from '@/lib/staff-session';

import { fakeStaffClient, type FakeStaff } from './staff-client';

type RenderOptions = {
  path?: string;
  /** Signed in to the console as this staff member (an editor with token `k` by default). */
  staff?: FakeStaff;
  /** The sign-in client itself, for tests of the sign-in. */
  client?: StaffAuthClient;
  /** The app's own loading: `GET /auth/config`, then Cognito's client. */
  realClient?: boolean;
};

export function renderApp(routes: RouteObject[], { path = '/', staff, client, realClient = false }: RenderOptions = {}) {
  const queryClient = new QueryClient({
    defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } },
  });
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const staffClient = client ?? fakeStaffClient(staff);
  // A fake client starts signed in (or out) at once; a given client loads as the app's does.
  const ready = client ? undefined : { client: staffClient, user: staffClient.currentUser() };
  const view = render(
    <QueryClientProvider client={queryClient}>
      {realClient ? (
        <StaffSessionProvider>
          <RouterProvider router={router} />
        </StaffSessionProvider>
      ) : (
        <StaffSessionProvider loadClient={async () => staffClient} ready={ready}>
          <RouterProvider router={router} />
        </StaffSessionProvider>
      )}
    </QueryClientProvider>,
  );
  return { ...view, router, queryClient, staffClient };
}

export function renderRoute(element: ReactElement, options?: RenderOptions) {
  return renderApp([{ path: '*', element }], options);
}
