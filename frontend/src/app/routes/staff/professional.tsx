import { useEffect } from 'react';
import { useParams } from 'react-router';

import { ProfessionalDetail } from '@/features/professionals/components/professional-detail';

export function ProfessionalRoute() {
  const { id = '' } = useParams();
  useEffect(() => {
    document.title = 'Professional · Staff console';
  }, []);
  return <ProfessionalDetail key={id} id={id} />;
}
