import { Outlet } from 'react-router';

import { StaffLayout } from '@/components/layouts/staff-layout';
import { Button } from '@/components/ui/button';
import { StaffKeyGate } from '@/features/staff-session/components/staff-key-gate';
import { useStaffSession } from '@/lib/staff-session';

export function StaffRoot() {
  const { staffKey, signOut } = useStaffSession();
  return (
    <StaffLayout
      actions={
        staffKey ? (
          <Button size="sm" variant="secondary" onClick={() => signOut('You signed out.')}>
            Sign out
          </Button>
        ) : null
      }
    >
      <StaffKeyGate>
        <Outlet />
      </StaffKeyGate>
    </StaffLayout>
  );
}
