import { screen } from '@testing-library/react';

import { renderApp } from '@/testing/render';

import { routes } from './router';

describe('router', () => {
  it('opens an unknown address on the not-found page without a HydrateFallback warning', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    renderApp(routes, { path: '/no/such/page' });
    expect(await screen.findByRole('heading', { name: 'Page not found', level: 1 })).toBeInTheDocument();
    expect(warn.mock.calls.flat().join(' ')).not.toMatch(/HydrateFallback/);
  });

  it('gives every lazy top-level route a fallback to show while it loads', () => {
    for (const route of routes.filter((r) => 'lazy' in r)) {
      expect(route, route.path).toHaveProperty('hydrateFallbackElement');
    }
  });

  it('opens the dashboard from the staff navigation', async () => {
    renderApp(routes, { path: '/staff', staff: { token: 'k' } });
    // The sign-in form or the console: the navigation is in the layout either way.
    expect(await screen.findByRole('link', { name: 'Dashboard' })).toHaveAttribute('href', '/staff/dashboard');
  });

  it('tells a viewer the import is not theirs, with no file control', async () => {
    renderApp(routes, { path: '/staff/import', staff: { role: 'viewer' } });
    expect(await screen.findByText(/Your role is viewer/)).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Bulk import', level: 1 })).toBeInTheDocument();
    expect(document.querySelector('input[type=file]')).toBeNull();
  });
});
