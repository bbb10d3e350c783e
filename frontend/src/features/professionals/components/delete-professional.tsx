import { useState } from 'react';
import { useNavigate } from 'react-router';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { paths } from '@/config/paths';
import { ApiError } from '@/lib/api-client';
import type { Professional } from '@/types/api';

import { useDeleteProfessional } from '../api/delete-professional';

export function DeleteProfessional({ professional }: { professional: Professional }) {
  const [open, setOpen] = useState(false);
  const remove = useDeleteProfessional();
  const navigate = useNavigate();

  const confirm = async () => {
    try {
      await remove.mutateAsync(professional.id);
      setOpen(false);
      navigate(paths.staff.root, { state: { flash: `${professional.full_name} was deleted.` } });
    } catch {
      // shown in the dialog below
    }
  };

  const error = remove.error;
  return (
    <>
      <Button variant="danger" onClick={() => setOpen(true)}>
        Delete
      </Button>
      <ConfirmDialog
        open={open}
        title={`Delete ${professional.full_name}?`}
        confirmLabel="Delete permanently"
        busy={remove.isPending}
        onCancel={() => {
          remove.reset();
          setOpen(false);
        }}
        onConfirm={confirm}
        error={
          error && !(error instanceof ApiError && error.isAuthError) ? (
            <Alert tone="error">{error instanceof ApiError ? error.message : 'Something went wrong.'}</Alert>
          ) : null
        }
      >
        This removes their contact details and resume, and frees their email and phone for reuse.
        It cannot be undone.
      </ConfirmDialog>
    </>
  );
}
