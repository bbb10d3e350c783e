import type { ResumeUpload } from '@/types/api';

export type UploadProgress = { loaded: number; total: number };

export class UploadError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'UploadError';
    this.status = status;
  }
}

/**
 * Sends the file straight to S3 through the presigned POST: every policy field first, the file
 * last (S3 ignores fields after `file`). XMLHttpRequest rather than fetch, for upload progress.
 */
export function uploadToPresignedPost(
  upload: ResumeUpload,
  file: Blob,
  {
    onProgress,
    signal,
  }: { onProgress?: (progress: UploadProgress) => void; signal?: AbortSignal } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append('file', file);

    const xhr = new XMLHttpRequest();
    xhr.open('POST', upload.url);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress?.({ loaded: event.loaded, total: event.total });
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress?.({ loaded: file.size, total: file.size });
        resolve();
      } else {
        reject(new UploadError(describeS3Failure(xhr.status, xhr.responseText), xhr.status));
      }
    });
    xhr.addEventListener('error', () =>
      reject(new UploadError('The upload could not reach the storage service. Try again.', 0)),
    );
    xhr.addEventListener('abort', () => reject(new DOMException('Upload cancelled', 'AbortError')));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

function describeS3Failure(status: number, body: string): string {
  if (/EntityTooLarge/.test(body)) return 'The file is larger than 5 MB.';
  if (/EntityTooSmall/.test(body)) return 'The file is empty.';
  if (status === 403 && /expired/i.test(body)) {
    return 'The upload link expired. Choose the file again to get a new one.';
  }
  return `The upload was refused (HTTP ${status}). Try again.`;
}
