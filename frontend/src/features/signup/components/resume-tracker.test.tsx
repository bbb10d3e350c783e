import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { uploadToPresignedPost } from '@/lib/upload';
import { mockApi } from '@/testing/fetch-mock';
import { makeProfessional, makeResume } from '@/testing/fixtures';
import { renderRoute } from '@/testing/render';
import type { ResumeUpload } from '@/types/api';

import { ResumeTracker } from './resume-tracker';

vi.mock('@/lib/upload', async (original) => ({
  ...(await original<typeof import('@/lib/upload')>()),
  uploadToPresignedPost: vi.fn(),
}));

const upload: ResumeUpload = { url: 'http://s3/b', fields: { key: 'k' }, key: 'k', max_bytes: 5242880, expires_at: '' };
const pdf = () => new File(['%PDF-1.4 ...'], 'cv.pdf', { type: 'application/pdf' });

describe('ResumeTracker', () => {
  it('uploads with a progress bar, then polls with the token until ready', async () => {
    let release!: () => void;
    vi.mocked(uploadToPresignedPost).mockImplementation((_u, _f, options) => {
      options?.onProgress?.({ loaded: 6, total: 12 });
      return new Promise<void>((resolve) => (release = resolve));
    });
    const p = makeProfessional({ id: 'p1', resume: makeResume({ status: 'awaiting_upload', pages: null }) });
    let polls = 0;
    const { calls } = mockApi([
      ['GET', '/api/professionals/p1', () => {
        polls += 1;
        const resume = polls < 2 ? makeResume({ status: 'processing' }) : makeResume({ status: 'ready', pages: 3 });
        return { status: 200, body: { ...p, resume, resume_text: 'text' } };
      }],
    ]);
    renderRoute(<ResumeTracker signup={{ id: 'p1', token: 'tok' }} initial={p} start={{ file: pdf(), upload }} />);

    expect(await screen.findByRole('progressbar', { name: 'Upload progress' })).toHaveAttribute('aria-valuenow', '50');
    expect(screen.getByTestId('resume-status')).toHaveTextContent('Uploading cv.pdf');
    release();
    expect(await screen.findByText('Upload complete. Checking your resume…')).toBeInTheDocument();
    expect(await screen.findByText('Your resume is ready.', {}, { timeout: 4000 })).toBeInTheDocument();
    expect(screen.getByTestId('resume-status')).toHaveAttribute('aria-live', 'polite');
    expect(calls[0].headers.get('Authorization')).toBe('Bearer tok');
  });

  it('explains a rejection and uploads another file through a new upload link', async () => {
    vi.mocked(uploadToPresignedPost).mockResolvedValue();
    const p = makeProfessional({ id: 'p2' });
    let attempt = 1;
    const { calls } = mockApi([
      ['GET', '/api/professionals/p2', () => ({
        status: 200,
        body: { ...p, resume: attempt === 1 ? makeResume({ status: 'rejected', reason: 'encrypted' }) : makeResume(), resume_text: null },
      })],
      ['POST', '/api/professionals/p2/resume', () => {
        attempt = 2;
        return { status: 201, body: { ...p, resume: makeResume({ status: 'awaiting_upload' }), resume_upload: { ...upload, key: 'k2' } } };
      }],
    ]);
    const user = userEvent.setup();
    renderRoute(<ResumeTracker signup={{ id: 'p2', token: 'tok' }} initial={p} start={{ file: pdf(), upload }} />);

    expect(await screen.findByText(/This PDF is password-protected/)).toBeInTheDocument();
    await user.upload(screen.getByLabelText('Try another file'), pdf());
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    expect(await screen.findByText('Your resume is ready.', {}, { timeout: 4000 })).toBeInTheDocument();
    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.body).toEqual({ filename: 'cv.pdf', content_type: 'application/pdf', size_bytes: 12 });
    await waitFor(() => expect(vi.mocked(uploadToPresignedPost).mock.calls.at(-1)?.[0].key).toBe('k2'));
  });

  it('reports a failed upload and lets the person choose the file again', async () => {
    const { UploadError } = await import('@/lib/upload');
    vi.mocked(uploadToPresignedPost).mockRejectedValue(new UploadError('The upload link expired. Choose the file again to get a new one.', 403));
    mockApi([]);
    const p = makeProfessional({ id: 'p3' });
    renderRoute(<ResumeTracker signup={{ id: 'p3', token: 'tok' }} initial={p} start={{ file: pdf(), upload }} />);
    expect(await screen.findByText(/The upload link expired/)).toBeInTheDocument();
    expect(screen.getByLabelText('Try another file')).toBeInTheDocument();
  });
});
