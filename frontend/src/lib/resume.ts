import type { Resume, ResumeReason } from '@/types/api';

export const MAX_RESUME_BYTES = 5 * 1024 * 1024;

/** A sentence a person can act on, for each reason the server may reject a resume. */
export const REASON_SENTENCES: Record<ResumeReason, string> = {
  not_pdf: "This file isn't a PDF. Please export your resume as a PDF and upload that.",
  too_large: 'This file is larger than 5 MB. Please upload a smaller PDF.',
  empty: 'This file is empty. Please choose the PDF that contains your resume.',
  unreadable:
    "We couldn't read this PDF: it may be damaged. Try saving it again, or export a new PDF.",
  encrypted:
    'This PDF is password-protected. Please upload a copy without a password or restrictions.',
  too_many_pages: 'This PDF has too many pages. Please upload a shorter resume.',
  timeout:
    'Reading this PDF took too long. Please try a simpler file, such as one exported as text rather than scanned images.',
  expired:
    'This upload was not processed in time and the file is no longer kept. Please upload your resume again.',
};

export function reasonSentence(reason: ResumeReason | null): string {
  if (reason && reason in REASON_SENTENCES) return REASON_SENTENCES[reason];
  return "We couldn't process this file. Please try another PDF.";
}

export const STATUS_LABELS: Record<Resume['status'], string> = {
  awaiting_upload: 'Waiting for upload',
  processing: 'Processing',
  ready: 'Ready',
  rejected: 'Rejected',
};

export function isFinal(resume: Resume | null | undefined): boolean {
  return resume?.status === 'ready' || resume?.status === 'rejected';
}

/** Checks a file in the browser before asking for an upload link; null when it looks fine. */
export function checkResumeFile(file: File): string | null {
  const looksPdf = file.type === 'application/pdf' || /\.pdf$/i.test(file.name);
  if (!looksPdf) return 'Choose a PDF file (.pdf).';
  if (file.size === 0) return 'This file is empty.';
  if (file.size > MAX_RESUME_BYTES) {
    return `This file is ${formatBytes(file.size)}; the limit is 5 MB.`;
  }
  return null;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
