import { useEffect } from 'react';

import { ProfessionalsList } from '@/features/professionals/components/professionals-list';

export function ProfessionalsRoute() {
  useEffect(() => {
    document.title = 'Professionals · Staff console';
  }, []);
  return <ProfessionalsList />;
}
