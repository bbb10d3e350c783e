import { Outlet } from 'react-router';

import { StaffLayout } from '@/components/layouts/staff-layout';
import { Button } from '@/components/ui/button';
import { StaffSignInGate } from '@/features/staff-session/components/staff-sign-in-gate';
import { ROLE_LABELS } from '@/lib/staff-auth';
import { StaffSessionProvider, useStaffSession, useStaffRole } from '@/lib/staff-session';

export function StaffRoot() {
  return (
    <StaffSessionProvider>
      <StaffConsole />
    </StaffSessionProvider>
  );
}

function StaffConsole() {
  const { status, user, signOut } = useStaffSession();
  const { canWrite } = useStaffRole();
  return (
    <StaffLayout
      canImport={canWrite}
      actions={
        status === 'signed_in' && user ? (
          <>
            <span className="text-sm text-blue-100" data-testid="staff-user">
              <span className="break-all">{user.email}</span>
              {user.role && (
                <span className="ml-2 rounded bg-blue-800 px-2 py-0.5 text-xs font-semibold text-white">
                  {ROLE_LABELS[user.role]}
                </span>
              )}
            </span>
            <Button size="sm" variant="secondary" onClick={() => signOut('You signed out.')}>
              Sign out
            </Button>
          </>
        ) : null
      }
    >
      <StaffSignInGate>
        <Outlet />
      </StaffSignInGate>
    </StaffLayout>
  );
}
