import { useEffect } from 'react';

import { BulkImport } from '@/features/bulk-import/components/bulk-import';

export function ImportRoute() {
  useEffect(() => {
    document.title = 'Bulk import · Staff console';
  }, []);
  return <BulkImport />;
}
