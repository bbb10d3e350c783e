import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { ProgressBar } from '@/components/ui/progress-bar';
import { Spinner } from '@/components/ui/spinner';
import { ApiError } from '@/lib/api-client';
import { checkResumeFile, formatBytes, reasonSentence } from '@/lib/resume';
import { uploadToPresignedPost, UploadError } from '@/lib/upload';
import type { ProfessionalDetail, ResumeUpload } from '@/types/api';

import { resumeDescriptor } from '../api/create-professional';
import {
  SLOW_AFTER_MS,
  signupStatusQueryOptions,
  useSignupStatus,
  type SignupRef,
} from '../api/get-signup-status';
import { useStartResumeUpload } from '../api/start-resume-upload';

import { ResumeFileInput } from './resume-file-input';

type Phase =
  | { kind: 'idle' }
  | { kind: 'requesting' }
  | { kind: 'uploading'; loaded: number; total: number; filename: string }
  | { kind: 'upload_failed'; message: string }
  | { kind: 'tracking' };

type ResumeTrackerProps = {
  signup: SignupRef;
  initial: ProfessionalDetail | Omit<ProfessionalDetail, 'resume_text'>;
  start: { file: File; upload: ResumeUpload } | null;
  /** What is said before any upload, and the file input's label then. */
  idleText?: string;
  idleLabel?: string;
  /** Called on a 401 (the access token expired, or the record is gone) instead of saying so here. */
  onSessionEnded?: () => void;
};

const TOKEN_EXPIRED =
  'The link between this page and your sign-up has expired. Your details are saved; reload the page and contact us to add a resume.';

/**
 * Uploads the resume straight to storage with a real progress bar, then follows its processing
 * (polling with the sign-up's access token) until it is ready or rejected; offers another file.
 */
export function ResumeTracker({
  signup,
  initial,
  start,
  idleText = 'You can add a PDF resume now, or skip this step.',
  idleLabel = 'Resume',
  onSessionEnded,
}: ResumeTrackerProps) {
  const queryClient = useQueryClient();
  const statusKey = useMemo(() => signupStatusQueryOptions(signup, null).queryKey, [signup]);
  const [phase, setPhase] = useState<Phase>(() =>
    start
      ? { kind: 'uploading', loaded: 0, total: start.file.size, filename: start.file.name }
      : { kind: 'idle' },
  );
  const [pollSince, setPollSince] = useState<number | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | undefined>();
  const startedRef = useRef(false);
  const status = useSignupStatus(signup, pollSince);
  const startUpload = useStartResumeUpload();

  useEffect(() => {
    if (queryClient.getQueryData(statusKey) === undefined) {
      queryClient.setQueryData(statusKey, { resume_text: null, ...initial } as ProfessionalDetail);
    }
  }, [queryClient, statusKey, initial]);

  const runUpload = useCallback(async (chosen: File, upload: ResumeUpload) => {
    setPhase({ kind: 'uploading', loaded: 0, total: chosen.size, filename: chosen.name });
    try {
      await uploadToPresignedPost(upload, chosen, {
        onProgress: ({ loaded, total }) =>
          setPhase({ kind: 'uploading', loaded, total, filename: chosen.name }),
      });
      setPollSince(Date.now());
      setPhase({ kind: 'tracking' });
    } catch (error) {
      const message =
        error instanceof UploadError ? error.message : 'The upload failed. Try again.';
      setPhase({ kind: 'upload_failed', message });
    }
  }, []);

  useEffect(() => {
    if (start && !startedRef.current) {
      startedRef.current = true;
      void runUpload(start.file, start.upload);
    }
  }, [start, runUpload]);

  const chooseFile = (next: File | null) => {
    setFile(next);
    setFileError(next ? (checkResumeFile(next) ?? undefined) : undefined);
  };

  const sendAnother = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!file) {
      setFileError('Choose a PDF file first.');
      return;
    }
    const problem = checkResumeFile(file);
    if (problem) {
      setFileError(problem);
      return;
    }
    setPhase({ kind: 'requesting' });
    try {
      const response = await startUpload.mutateAsync({ ref: signup, resume: resumeDescriptor(file) });
      const { resume_upload: upload, ...record } = response;
      queryClient.setQueryData<ProfessionalDetail>(statusKey, (previous) => ({
        resume_text: previous?.resume_text ?? null,
        ...record,
      }));
      setFile(null);
      await runUpload(file, upload);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        if (onSessionEnded) return onSessionEnded();
        setPhase({ kind: 'upload_failed', message: TOKEN_EXPIRED });
        return;
      }
      const messages =
        error instanceof ApiError
          ? Object.values(error.fields).flat().join(' ') || error.message
          : 'Something went wrong. Try again.';
      setFileError(messages);
      setPhase({ kind: 'idle' });
    }
  };

  const resume = status.data?.resume ?? null;
  const tracking = phase.kind === 'tracking';
  const ready = tracking && resume?.status === 'ready';
  const rejected = tracking && resume?.status === 'rejected';
  const slow =
    tracking && !ready && !rejected && pollSince !== null && status.dataUpdatedAt - pollSince > SLOW_AFTER_MS;
  const statusError = tracking && status.error instanceof ApiError ? status.error : null;
  const canChooseAnother =
    phase.kind === 'idle' || phase.kind === 'upload_failed' || rejected || ready;

  let sentence: React.ReactNode = null;
  if (phase.kind === 'requesting') sentence = <Spinner label="Preparing the upload…" />;
  else if (phase.kind === 'uploading') sentence = `Uploading ${phase.filename}…`;
  else if (phase.kind === 'upload_failed') sentence = <Alert tone="error" live="none">{phase.message}</Alert>;
  else if (statusError?.status === 401) sentence = <Alert tone="error" live="none">{TOKEN_EXPIRED}</Alert>;
  else if (ready)
    sentence = (
      <Alert tone="success" live="none" title="Your resume is ready.">
        We read {resume?.pages ?? 0} {resume?.pages === 1 ? 'page' : 'pages'}
        {resume?.size_bytes ? ` (${formatBytes(resume.size_bytes)})` : ''}. Thank you — there is
        nothing more to do.
      </Alert>
    );
  else if (rejected)
    sentence = (
      <Alert tone="error" live="none" title="We couldn't use this file.">
        {reasonSentence(resume?.reason ?? null)}
      </Alert>
    );
  else if (tracking)
    sentence = (
      <div className="space-y-2">
        <Spinner label="Upload complete. Checking your resume…" />
        {slow && (
          <p className="text-sm text-slate-600">
            This is taking longer than usual. You can keep this page open, or leave: your sign-up
            is saved and your resume will still be processed.
          </p>
        )}
      </div>
    );

  return (
    <section aria-labelledby="resume-heading" className="space-y-4">
      <h2 id="resume-heading" className="text-lg font-semibold text-slate-900">
        Resume
      </h2>
      <div aria-live="polite" aria-atomic="true" data-testid="resume-status" className="text-sm text-slate-800">
        {phase.kind === 'idle' ? (
          <p>{idleText}</p>
        ) : (
          sentence
        )}
      </div>
      {phase.kind === 'uploading' && (
        <ProgressBar
          label="Upload progress"
          value={phase.loaded}
          max={phase.total || 1}
          valueText={`${formatBytes(phase.loaded)} of ${formatBytes(phase.total)}`}
        />
      )}
      {canChooseAnother && statusError?.status !== 401 && (
        <form onSubmit={sendAnother} className="space-y-3 rounded-md border border-slate-200 bg-slate-50 p-4">
          <ResumeFileInput
            label={phase.kind === 'idle' ? idleLabel : ready ? 'Replace your resume' : 'Try another file'}
            optional={false}
            file={file}
            error={fileError}
            onChange={chooseFile}
          />
          <Button type="submit" size="sm">
            Upload
          </Button>
        </form>
      )}
    </section>
  );
}
