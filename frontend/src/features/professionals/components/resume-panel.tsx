import { useState } from 'react';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { ApiError } from '@/lib/api-client';
import { formatDateTime } from '@/lib/format';
import { formatBytes, reasonSentence, STATUS_LABELS } from '@/lib/resume';
import type { ProfessionalDetail } from '@/types/api';

import { useResumeDownload } from '../api/get-resume-download';

export function ResumePanel({ professional }: { professional: ProfessionalDetail }) {
  const { resume, resume_text: text } = professional;
  const download = useResumeDownload();
  const [notice, setNotice] = useState<string | null>(null);
  const hasFile = resume?.status === 'ready' || text !== null;

  const onDownload = async () => {
    setNotice(null);
    try {
      const { url } = await download.mutateAsync(professional.id);
      // The link is served as an attachment: the browser saves it and the page stays.
      window.location.assign(url);
      setNotice('Your download has started.');
    } catch (error) {
      if (error instanceof ApiError && error.isAuthError) return;
      setNotice(
        error instanceof ApiError && error.status === 404
          ? 'There is no ready resume to download.'
          : 'The download link could not be created. Try again.',
      );
    }
  };

  return (
    <section aria-labelledby="resume-title" className="space-y-4 rounded-lg bg-white p-5 shadow-sm ring-1 ring-slate-200">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="resume-title" className="text-lg font-semibold">
          Resume
        </h2>
        {hasFile && (
          <Button variant="secondary" size="sm" busy={download.isPending} onClick={onDownload}>
            Download PDF
          </Button>
        )}
      </div>
      <div aria-live="polite" className="text-sm">
        {notice && <p className="text-slate-700">{notice}</p>}
      </div>
      {!resume ? (
        <p className="text-sm text-slate-600">No resume was uploaded.</p>
      ) : (
        <dl className="grid grid-cols-2 gap-x-4 gap-y-2 text-sm sm:grid-cols-4">
          <div>
            <dt className="text-slate-500">Status</dt>
            <dd className="font-medium">{STATUS_LABELS[resume.status]}</dd>
          </div>
          <div>
            <dt className="text-slate-500">Pages</dt>
            <dd>{resume.pages ?? '—'}</dd>
          </div>
          <div>
            <dt className="text-slate-500">Size</dt>
            <dd>{resume.size_bytes ? formatBytes(resume.size_bytes) : '—'}</dd>
          </div>
          <div>
            <dt className="text-slate-500">Processed</dt>
            <dd>{formatDateTime(resume.processed_at)}</dd>
          </div>
        </dl>
      )}
      {resume?.status === 'rejected' && <Alert tone="warning" live="none">{reasonSentence(resume.reason)}</Alert>}
      {text !== null && (
        <div className="space-y-2">
          <h3 className="text-sm font-semibold text-slate-800">Extracted text</h3>
          <pre
            tabIndex={0}
            aria-label="Extracted resume text"
            data-testid="resume-text"
            className="max-h-96 overflow-auto rounded-md bg-slate-50 p-3 font-mono text-xs leading-relaxed whitespace-pre-wrap text-slate-800 ring-1 ring-slate-200 focus-visible:outline-3 focus-visible:outline-blue-600"
          >
            {text || '(The PDF has no text layer.)'}
          </pre>
          {resume?.text_truncated && (
            <p className="text-sm text-slate-600">The text is cut at 100,000 characters; download the PDF for all of it.</p>
          )}
        </div>
      )}
    </section>
  );
}
