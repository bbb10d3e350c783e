import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { downloadText } from '@/lib/csv';
import { apiError, mockApi, type MockRequest } from '@/testing/fetch-mock';
import { renderRoute } from '@/testing/render';

import type { ImportJob } from '../api/import-jobs';

import { BulkImport } from './bulk-import';

vi.mock('@/lib/csv', async (original) => ({
  ...(await original<typeof import('@/lib/csv')>()),
  downloadText: vi.fn(),
}));

const POLL_MS = 20;

/** S3's side of the presigned POST: records the form, answers 204 on the next tick. */
class FakeXhr {
  static sent: { method: string; url: string; form: FormData }[] = [];
  method = '';
  url = '';
  status = 0;
  responseText = '';
  listeners: Record<string, (() => void)[]> = {};
  upload = { addEventListener: () => undefined };
  addEventListener(type: string, fn: () => void) {
    (this.listeners[type] ??= []).push(fn);
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  send(form: FormData) {
    FakeXhr.sent.push({ method: this.method, url: this.url, form });
    setTimeout(() => {
      this.status = 204;
      for (const fn of this.listeners.load ?? []) fn();
    }, 0);
  }
  abort() {
    for (const fn of this.listeners.abort ?? []) fn();
  }
}

const UPLOAD = {
  url: 'http://s3.local/professionals-resumes',
  fields: { key: 'imports/j1.csv', policy: 'cG9saWN5', 'x-amz-algorithm': 'AWS4-HMAC-SHA256', 'x-amz-signature': 'sig' },
  key: 'imports/j1.csv',
  max_bytes: 52428800,
  expires_at: '2026-12-07T12:15:00.000Z',
};

function makeJob(overrides: Partial<ImportJob> = {}): ImportJob {
  return {
    id: 'j1',
    status: 'running',
    format: 'csv',
    dry_run: false,
    rows_total: null,
    rows_done: 0,
    summary: { created: 0, updated: 0, unchanged: 0, failed: 0 },
    error: null,
    created_at: new Date().toISOString(),
    started_at: null,
    finished_at: null,
    ...overrides,
  };
}

/** A CSV of `n` data rows whose header names the API's fields. */
function bigCsv(n: number, header = 'full_name,email,phone'): File {
  const rows = Array.from({ length: n }, (_, i) => `Person ${i + 1},p${i + 1}@example.com,`);
  return new File([[header, ...rows].join('\n') + '\n'], 'people.csv', { type: 'text/csv' });
}

/** The API's import routes, answering from state the test moves along. */
function importApi(state: { job: ImportJob; list?: ImportJob[] }) {
  return mockApi([
    ['GET', '/api/imports', () => ({ status: 200, body: { items: state.list ?? [], next_cursor: null } })],
    ['POST', '/api/imports', ({ body }) => {
      const { format, dry_run } = body as { format: 'csv' | 'xlsx'; dry_run: boolean };
      state.job = { ...state.job, status: 'awaiting_upload', format, dry_run };
      const key = `imports/j1.${format}`;
      return { status: 201, body: { ...state.job, upload: { ...UPLOAD, key, fields: { ...UPLOAD.fields, key } } } };
    }],
    ['GET', /^\/api\/imports\/j1$/, () => ({ status: 200, body: state.job })],
  ]);
}

const jobPolls = (calls: MockRequest[]) => calls.filter((c) => c.method === 'GET' && c.url.pathname === '/api/imports/j1');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(() => vi.mocked(downloadText).mockClear());

describe('BulkImport: files of more than 1,000 rows go through an import job', () => {
  beforeEach(() => {
    FakeXhr.sent = [];
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
  });

  it('creates the job, uploads the original file (fields first, file last), follows rows_done, then shows the summary and the errors file', async () => {
    const state = { job: makeJob() };
    const { calls, fetchMock } = importApi(state);
    const user = userEvent.setup();
    renderRoute(<BulkImport pollMs={POLL_MS} />, { staff: { token: 'staff-key' } });

    const file = bigCsv(2500);
    await user.upload(screen.getByLabelText('CSV or Excel file'), file);
    expect(await screen.findByRole('heading', { name: '2. Check the file' })).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: '2. Check the columns' })).toBeNull();
    expect(screen.getByTestId('job-file')).toHaveTextContent('people.csv');
    expect(screen.getByTestId('job-file')).toHaveTextContent('2,500 rows');

    await user.click(screen.getByRole('button', { name: 'Import 2,500 rows' }));

    // POST /imports with the format and dry_run, the access token as a bearer token.
    await waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true));
    const create = calls.find((c) => c.method === 'POST')!;
    expect(create.url.pathname).toBe('/api/imports');
    expect(create.body).toEqual({ format: 'csv', dry_run: false });
    expect(create.headers.get('Authorization')).toBe('Bearer staff-key');

    // The original file, to the presigned URL: every field in order, then the file.
    await waitFor(() => expect(FakeXhr.sent).toHaveLength(1));
    const [{ method, url, form }] = FakeXhr.sent;
    expect(method).toBe('POST');
    expect(url).toBe(UPLOAD.url);
    expect([...form.keys()]).toEqual(['key', 'policy', 'x-amz-algorithm', 'x-amz-signature', 'file']);
    expect(form.get('key')).toBe('imports/j1.csv');
    const sent = form.get('file') as File;
    expect(sent.name).toBe('people.csv');
    expect(sent.size).toBe(file.size);
    expect(await sent.text()).toBe(await file.text());
    // Nothing went through the bulk route.
    expect(fetchMock.mock.calls.some(([input]) => String(input).includes('/professionals/bulk'))).toBe(false);

    // The worker has not read the whole file yet: no total, no percentage.
    state.job = makeJob({ status: 'running' });
    const bar = await screen.findByRole('progressbar', { name: 'Import progress' });
    await waitFor(() => expect(bar).toHaveAttribute('aria-valuetext', 'Reading the file…'));
    expect(bar).toHaveAttribute('aria-valuenow', '0');

    state.job = makeJob({ rows_total: 2500, rows_done: 1000, summary: { created: 900, updated: 90, unchanged: 5, failed: 5 } });
    await waitFor(() => expect(bar).toHaveAttribute('aria-valuenow', '40'));
    expect(bar).toHaveAttribute('aria-valuetext', '1,000 of 2,500 rows');
    expect(screen.getByTestId('import-job')).toHaveTextContent('Import: 1,000 of 2,500 rows.');
    // One job at a time from the page.
    expect(screen.getByRole('button', { name: 'Import 2,500 rows' })).toBeDisabled();

    state.job = makeJob({ rows_total: 2500, rows_done: 2000, summary: { created: 1800, updated: 180, unchanged: 10, failed: 10 } });
    await waitFor(() => expect(bar).toHaveAttribute('aria-valuenow', '80'));

    state.job = makeJob({
      status: 'done',
      rows_total: 2500,
      rows_done: 2500,
      summary: { created: 2250, updated: 220, unchanged: 18, failed: 12 },
      finished_at: new Date().toISOString(),
    });
    const summary = await screen.findByTestId('job-summary');
    await waitFor(() => expect(within(summary).getByText('created').nextSibling).toHaveTextContent('2,250'));
    expect(within(summary).getByText('updated').nextSibling).toHaveTextContent('220');
    expect(within(summary).getByText('unchanged').nextSibling).toHaveTextContent('18');
    expect(within(summary).getByText('failed').nextSibling).toHaveTextContent('12');
    expect(screen.queryByRole('progressbar', { name: 'Import progress' })).toBeNull();
    expect(screen.getByText(/Import finished: 2,500 rows, 2,250 created/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Import 2,500 rows' })).toBeEnabled();

    // Polling stops at done.
    const polled = jobPolls(calls).length;
    await sleep(POLL_MS * 5);
    expect(jobPolls(calls)).toHaveLength(polled);

    // The errors file: GET /imports/j1/errors with the key, the 303 followed to storage.
    const csv = 'full_name,email,phone,row,error_code,error_message\r\nBad,not-an-email,,7,validation_error,Invalid value for: email.\r\n';
    const api = fetchMock.getMockImplementation()!;
    fetchMock.mockImplementation(async (input, init) => {
      if (!String(input).endsWith('/api/imports/j1/errors')) return api(input, init);
      const answer = new Response(csv, { status: 200, headers: { 'Content-Type': 'text/csv' } });
      Object.defineProperty(answer, 'redirected', { value: true });
      return answer;
    });
    await user.click(screen.getByRole('button', { name: 'Download the 12 failed rows (CSV)' }));
    await waitFor(() => expect(downloadText).toHaveBeenCalledWith('import-j1-errors.csv', csv));
    const [, init] = fetchMock.mock.calls.find(([input]) => String(input).endsWith('/errors'))!;
    expect(init?.redirect).toBe('follow');
    expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer staff-key');
  });

  it('keeps a file of exactly 1,000 rows on the bulk path, and sends 1,001 rows as a job', async () => {
    importApi({ job: makeJob() });
    const user = userEvent.setup();
    renderRoute(<BulkImport pollMs={POLL_MS} />, { staff: { token: 'k' } });

    await user.upload(screen.getByLabelText('CSV or Excel file'), bigCsv(1000));
    expect(await screen.findByRole('heading', { name: '2. Check the columns' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Import 1,000 rows' })).toBeInTheDocument();
    expect(screen.getByLabelText('full_name')).toHaveValue('full_name'); // the mapping screen, as before

    await user.click(screen.getByRole('button', { name: 'Choose other data' }));
    await user.upload(screen.getByLabelText('CSV or Excel file'), bigCsv(1001));
    expect(await screen.findByRole('heading', { name: '2. Check the file' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Import 1,001 rows' })).toBeInTheDocument();
  });

  it('sends any .xlsx file as a job, unread by the browser, and words a dry run as one', async () => {
    const state = { job: makeJob() };
    const { calls } = importApi(state);
    const user = userEvent.setup();
    renderRoute(<BulkImport pollMs={POLL_MS} />, { staff: { token: 'k' } });

    const workbook = new File([new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3])], 'people.xlsx', {
      type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    });
    await user.upload(screen.getByLabelText('CSV or Excel file'), workbook);
    expect(await screen.findByRole('heading', { name: '2. Check the file' })).toBeInTheDocument();
    expect(screen.getByTestId('job-file')).toHaveTextContent('an Excel workbook, read by the server');

    await user.click(screen.getByRole('button', { name: 'Dry run' }));
    await waitFor(() => expect(FakeXhr.sent).toHaveLength(1));
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ format: 'xlsx', dry_run: true });
    expect(FakeXhr.sent[0].form.get('key')).toBe('imports/j1.xlsx');
    expect((FakeXhr.sent[0].form.get('file') as File).name).toBe('people.xlsx');

    state.job = makeJob({ status: 'done', format: 'xlsx', dry_run: true, rows_total: 40, rows_done: 40, summary: { created: 30, updated: 10, unchanged: 0, failed: 0 } });
    const summary = await screen.findByTestId('job-summary');
    expect(within(summary).getByText('would be created').nextSibling).toHaveTextContent('30');
    expect(within(summary).getByText('would be updated').nextSibling).toHaveTextContent('10');
    expect(screen.getByText(/Dry run finished \(nothing was saved\): 40 rows/)).toBeInTheDocument();
    // No failed rows: no errors file to offer.
    expect(screen.queryByRole('button', { name: /rows that would fail/ })).toBeNull();
  });

  it('shows a failed job\'s error message', async () => {
    const state = { job: makeJob() };
    importApi(state);
    const user = userEvent.setup();
    renderRoute(<BulkImport pollMs={POLL_MS} />, { staff: { token: 'k' } });
    await user.upload(screen.getByLabelText('CSV or Excel file'), bigCsv(1200));
    await user.click(await screen.findByRole('button', { name: 'Import 1,200 rows' }));
    await waitFor(() => expect(FakeXhr.sent).toHaveLength(1));

    state.job = makeJob({
      status: 'failed',
      error: { code: 'bad_request', message: 'The file has more than 100000 rows; split it.', details: { max_rows: 100000 } },
      finished_at: new Date().toISOString(),
    });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The import failed');
    expect(alert).toHaveTextContent('The file has more than 100000 rows; split it.');
    expect(screen.queryByRole('progressbar', { name: 'Import progress' })).toBeNull();
  });

  it('shows the API\'s error envelope when the job cannot be created, and uploads nothing', async () => {
    mockApi([
      ['GET', '/api/imports', () => ({ status: 200, body: { items: [], next_cursor: null } })],
      ['POST', '/api/imports', () => apiError(503, 'unavailable', 'The job store is unavailable; try again shortly.')],
    ]);
    const user = userEvent.setup();
    renderRoute(<BulkImport pollMs={POLL_MS} />, { staff: { token: 'k' } });
    await user.upload(screen.getByLabelText('CSV or Excel file'), bigCsv(1500));
    await user.click(await screen.findByRole('button', { name: 'Import 1,500 rows' }));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The import could not start');
    expect(alert).toHaveTextContent('The job store is unavailable; try again shortly.');
    expect(FakeXhr.sent).toHaveLength(0);
    expect(screen.getByRole('button', { name: 'Import 1,500 rows' })).toBeEnabled(); // try again
  });

  it('will not send a large CSV whose header the server would refuse', async () => {
    const { calls } = importApi({ job: makeJob() });
    const user = userEvent.setup();
    renderRoute(<BulkImport pollMs={POLL_MS} />, { staff: { token: 'k' } });
    await user.upload(screen.getByLabelText('CSV or Excel file'), bigCsv(1100, 'Name,email,Notes'));

    expect(await screen.findByText(/Columns the server does not know: “Name” \(full_name\?\), “Notes”/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Dry run' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Import 1,100 rows' })).toBeDisabled();
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });
});

describe('BulkImport: recent imports', () => {
  it('lists the jobs newest first with status, progress, time and errors file, and reads them again while one runs', async () => {
    const started = '2026-12-07T11:58:00.000Z';
    const running = makeJob({ id: 'a1', created_at: started, rows_total: 4000, rows_done: 1000, summary: { created: 1000, updated: 0, unchanged: 0, failed: 0 } });
    const finished = makeJob({
      id: 'b2',
      status: 'done',
      dry_run: true,
      created_at: '2026-12-07T10:00:00.000Z',
      rows_total: 1500,
      rows_done: 1500,
      summary: { created: 1490, updated: 7, unchanged: 0, failed: 3 },
    });
    const broken = makeJob({
      id: 'c3',
      status: 'failed',
      format: 'xlsx',
      created_at: '2026-12-06T09:00:00.000Z',
      error: { code: 'bad_request', message: 'Unknown CSV column: notes.', details: { columns: ['notes'] } },
    });
    const list = { items: [running, finished, broken], next_cursor: null };
    const { calls, fetchMock } = mockApi([['GET', '/api/imports', () => ({ status: 200, body: list })]]);
    const { staffClient } = renderRoute(<BulkImport pollMs={POLL_MS} />, { staff: { token: 'k' } });

    const table = await screen.findByTestId('recent-imports');
    expect(screen.getByRole('heading', { name: 'Recent imports' })).toBeInTheDocument();
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((row) => row.getAttribute('data-job-id'))).toEqual(['a1', 'b2', 'c3']);
    expect(calls[0].url.searchParams.get('limit')).toBe('25');

    // Running: its progress, and when it started.
    expect(rows[0]).toHaveTextContent('Import: 1,000 of 4,000 rows');
    expect(within(rows[0]).getByRole('progressbar')).toHaveAttribute('value', '25');
    expect(within(rows[0]).getByRole('rowheader').querySelector('time')).toHaveAttribute('datetime', started);
    // Done with failed rows: the counts and the errors file.
    expect(rows[1]).toHaveTextContent('Dry run finished');
    expect(rows[1]).toHaveTextContent('3 would fail');
    expect(within(rows[1]).getByRole('button', { name: 'Download the 3 rows that would fail (CSV)' })).toBeInTheDocument();
    // Failed: its error message, no errors file.
    expect(rows[2]).toHaveTextContent('Import failed');
    expect(rows[2]).toHaveTextContent('Unknown CSV column: notes.');
    expect(within(rows[2]).queryByRole('button')).toBeNull();

    // Read again while a job runs: the running row moves on, then ends.
    list.items = [{ ...running, rows_done: 3000 }, finished, broken];
    await waitFor(() => expect(within(screen.getByTestId('recent-imports')).getAllByRole('progressbar')[0]).toHaveAttribute('value', '75'));
    list.items = [{ ...running, status: 'done', rows_done: 4000, summary: { created: 4000, updated: 0, unchanged: 0, failed: 0 } }, finished, broken];
    await waitFor(() => expect(screen.getByTestId('recent-imports')).toHaveTextContent('Import finished'));
    expect(within(screen.getByTestId('recent-imports')).queryByRole('progressbar')).toBeNull();

    // Nothing runs any more: no more reads.
    const reads = calls.length;
    await sleep(POLL_MS * 5);
    expect(calls).toHaveLength(reads);

    // Storage refusing the followed link is said as such, and does not sign the staff out.
    const api = fetchMock.getMockImplementation()!;
    fetchMock.mockImplementation(async (input, init) => {
      if (!String(input).endsWith('/api/imports/b2/errors')) return api(input, init);
      const answer = new Response('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>', { status: 403 });
      Object.defineProperty(answer, 'redirected', { value: true });
      return answer;
    });
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Download the 3 rows that would fail (CSV)' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('could not be fetched from storage (HTTP 403)');
    expect(staffClient.signOut).not.toHaveBeenCalled();
    expect(downloadText).not.toHaveBeenCalled();
  });

  it('says so when the list cannot be read, in the API\'s words', async () => {
    mockApi([['GET', '/api/imports', () => apiError(500, 'internal_error', 'Something went wrong on our side (request id r-1).')]]);
    renderRoute(<BulkImport pollMs={POLL_MS} />, { staff: { token: 'k' } });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The recent imports could not be read');
    expect(alert).toHaveTextContent('Something went wrong on our side (request id r-1).');
  });
});
