import { useEffect } from 'react';

import { Alert } from '@/components/ui/alert';
import { BulkImport } from '@/features/bulk-import/components/bulk-import';
import { useStaffRole } from '@/lib/staff-session';

export function ImportRoute() {
  const { canWrite } = useStaffRole();
  useEffect(() => {
    document.title = 'Bulk import · Staff console';
  }, []);
  if (!canWrite) {
    return (
      <div className="max-w-xl space-y-4">
        <h1 className="text-2xl font-bold tracking-tight">Bulk import</h1>
        <Alert tone="info" live="none">
          Your role is viewer: you can read records but not import them. Ask an admin if you need to.
        </Alert>
      </div>
    );
  }
  return <BulkImport />;
}
