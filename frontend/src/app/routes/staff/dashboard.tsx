import { useEffect } from 'react';

import { Dashboard } from '@/features/dashboard/components/dashboard';

export function DashboardRoute() {
  useEffect(() => {
    document.title = 'Dashboard · Staff console';
  }, []);
  return <Dashboard />;
}
