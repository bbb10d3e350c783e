import { createBrowserRouter, RouterProvider } from 'react-router';

import { ErrorFallback } from '@/components/errors/error-fallback';
import { Spinner } from '@/components/ui/spinner';
import { paths } from '@/config/paths';

import { MeRoute } from './routes/me';
import { SignupRoute } from './routes/signup';

// The sign-up page is in the entry bundle; the other pages load on demand.
export const routes = [
  { path: paths.home, element: <SignupRoute />, errorElement: <ErrorFallback /> },
  {
    path: paths.privacy,
    lazy: async () => ({ Component: (await import('./routes/privacy')).PrivacyRoute }),
    errorElement: <ErrorFallback />,
    hydrateFallbackElement: <Spinner label="Loading…" />,
  },
  // In the entry bundle too, so that a link's token leaves the address bar on the first render.
  { path: paths.me, element: <MeRoute />, errorElement: <ErrorFallback /> },
  {
    path: paths.staff.root,
    lazy: async () => ({ Component: (await import('./routes/staff/staff-root')).StaffRoot }),
    errorElement: <ErrorFallback />,
    hydrateFallbackElement: <Spinner label="Loading…" />,
    children: [
      {
        index: true,
        lazy: async () => ({ Component: (await import('./routes/staff/professionals')).ProfessionalsRoute }),
      },
      {
        path: 'professionals/:id',
        lazy: async () => ({ Component: (await import('./routes/staff/professional')).ProfessionalRoute }),
      },
      {
        path: 'import',
        lazy: async () => ({ Component: (await import('./routes/staff/import')).ImportRoute }),
      },
      {
        path: 'dashboard',
        lazy: async () => ({ Component: (await import('./routes/staff/dashboard')).DashboardRoute }),
      },
    ],
  },
  {
    path: '*',
    lazy: async () => ({ Component: (await import('./routes/not-found')).NotFoundRoute }),
    errorElement: <ErrorFallback />,
    // Every lazy route opened first needs one, or React Router warns "No HydrateFallback element".
    hydrateFallbackElement: <Spinner label="Loading…" />,
  },
];

export function AppRouter() {
  const router = createBrowserRouter(routes);
  return <RouterProvider router={router} />;
}
