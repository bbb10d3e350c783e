import { Link } from 'react-router';

import { PublicLayout } from '@/components/layouts/public-layout';
import { paths } from '@/config/paths';

export function NotFoundRoute() {
  return (
    <PublicLayout title="Page not found">
      <p className="text-slate-700">There is nothing at this address.</p>
      <Link to={paths.home} className="mt-4 inline-block text-blue-800 underline">
        Go to the sign-up page
      </Link>
    </PublicLayout>
  );
}
