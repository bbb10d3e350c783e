import { uploadToPresignedPost, UploadError } from './upload';

type Listener = (event: ProgressEvent) => void;

class FakeXhr {
  static last: FakeXhr;
  status = 0;
  responseText = '';
  method = '';
  url = '';
  sent: FormData | null = null;
  listeners: Record<string, Listener[]> = {};
  upload = { addEventListener: (type: string, fn: Listener) => this.on(`upload:${type}`, fn) };
  constructor() {
    FakeXhr.last = this;
  }
  on(type: string, fn: Listener) {
    (this.listeners[type] ??= []).push(fn);
  }
  addEventListener(type: string, fn: Listener) {
    this.on(type, fn);
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  send(body: FormData) {
    this.sent = body;
  }
  abort() {
    this.emit('abort');
  }
  emit(type: string, event: Partial<ProgressEvent> = {}) {
    for (const fn of this.listeners[type] ?? []) fn(event as ProgressEvent);
  }
}

const upload = {
  url: 'http://s3.local/bucket',
  fields: { key: 'uploads/p1/a.pdf', 'Content-Type': 'application/pdf', policy: 'p', 'x-amz-signature': 's' },
  key: 'uploads/p1/a.pdf',
  max_bytes: 5242880,
  expires_at: '2026-11-26T03:15:00.000Z',
};

describe('uploadToPresignedPost', () => {
  beforeEach(() => vi.stubGlobal('XMLHttpRequest', FakeXhr));

  it('posts every policy field first and the file last, reporting progress', async () => {
    const file = new File(['%PDF-1.4'], 'cv.pdf', { type: 'application/pdf' });
    const progress = vi.fn();
    const done = uploadToPresignedPost(upload, file, { onProgress: progress });
    const xhr = FakeXhr.last;
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe(upload.url);
    expect([...xhr.sent!.keys()]).toEqual([...Object.keys(upload.fields), 'file']);
    xhr.emit('upload:progress', { lengthComputable: true, loaded: 4, total: 8 });
    expect(progress).toHaveBeenCalledWith({ loaded: 4, total: 8 });
    xhr.status = 204;
    xhr.emit('load');
    await expect(done).resolves.toBeUndefined();
  });

  it('explains a refusal by S3', async () => {
    const done = uploadToPresignedPost(upload, new File(['x'], 'cv.pdf'));
    FakeXhr.last.status = 400;
    FakeXhr.last.responseText = '<Error><Code>EntityTooLarge</Code></Error>';
    FakeXhr.last.emit('load');
    await expect(done).rejects.toEqual(new UploadError('The file is larger than 5 MB.', 400));
  });
});
