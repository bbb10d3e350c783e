import { useEffect, useLayoutEffect, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';

import { PublicLayout } from '@/components/layouts/public-layout';
import { MePage } from '@/features/signup/components/me-page';

/**
 * `/me?token=…`, the link we mail. The token is read once and taken out of the address bar
 * straight away (history.replaceState, through the router), so that it is not kept in the
 * history, a bookmark or a shared screenshot.
 */
export function MeRoute() {
  const location = useLocation();
  const navigate = useNavigate();
  const [linkToken] = useState(() => new URLSearchParams(location.search).get('token'));

  useEffect(() => {
    document.title = 'Your details · Professionals';
  }, []);

  // A layout effect: it runs before any passive effect, so before the page's first request.
  useLayoutEffect(() => {
    if (new URLSearchParams(location.search).has('token')) {
      navigate({ pathname: location.pathname, search: '', hash: location.hash }, { replace: true });
    }
  }, [location, navigate]);

  return (
    <PublicLayout
      title="Your details"
      intro="See what we hold about you, correct it, take a copy, or delete it."
    >
      <MePage linkToken={linkToken} />
    </PublicLayout>
  );
}
