import type { BulkResponse } from '@/types/api';

import { chunk, runBulk } from '../api/bulk-upsert';

import { autoMap, mappingProblems, toApiRows } from './mapping';
import { parseCsv, parseJson, ParseError } from './parse';
import { describeRowError, failedRowsCsv } from './results';

describe('reading the data', () => {
  it('reads CSV with a BOM, quotes and blank lines', () => {
    const table = parseCsv('\uFEFFFull Name, Email ,Phone\n"Lovelace, Ada",ada@example.com,\n\nGrace,,+1 415 555 0123\n', 'x.csv');
    expect(table.columns).toEqual(['Full Name', 'Email', 'Phone']);
    expect(table.rows).toEqual([
      ['Lovelace, Ada', 'ada@example.com', ''],
      ['Grace', '', '+1 415 555 0123'],
    ]);
  });

  it('refuses what it cannot use, saying why', () => {
    expect(() => parseCsv('')).toThrow(ParseError);
    expect(() => parseCsv('a,b\n')).toThrow(/no rows/);
    expect(() => parseJson('{"a":1}')).toThrow(/JSON array/);
    expect(() => parseJson('[1]')).toThrow(/Item 1 is not an object/);
    expect(() => parseJson('[{')).toThrow(/not valid JSON/);
  });

  it('reads JSON objects into columns, in order of first appearance', () => {
    const table = parseJson('[{"full_name":"A","email":"a@x.co"},{"phone":"+1","full_name":"B"}]');
    expect(table.columns).toEqual(['full_name', 'email', 'phone']);
    expect(table.rows[1]).toEqual(['B', undefined, '+1']);
  });
});

describe('mapping columns to fields', () => {
  it('matches headers ignoring case, spaces and punctuation, each field once', () => {
    expect(autoMap(['Full Name', 'E-mail', 'Mobile', 'Organisation', 'Title', 'Notes', 'email'])).toEqual([
      'full_name', 'email', 'phone', 'company_name', 'job_title', null, null,
    ]);
  });

  it('wants email or phone, each field at most once', () => {
    expect(mappingProblems(['full_name', null])).toEqual([expect.stringMatching(/email or the phone/)]);
    expect(mappingProblems(['email', 'email'])).toEqual([expect.stringMatching(/Email is chosen for 2 columns/)]);
    expect(mappingProblems(['email', 'full_name'])).toEqual([]);
  });

  it('leaves out unmapped columns and empty cells', () => {
    const table = parseCsv('Name,Email,Notes\nAda,,hi\n');
    expect(toApiRows(table, ['full_name', 'email', null])).toEqual([{ full_name: 'Ada' }]);
  });
});

describe('sending in chunks', () => {
  const rows = Array.from({ length: 5 }, (_, i) => ({ email: `p${i}@x.co` }));
  const answer = (sent: unknown[], failAt?: number): BulkResponse => ({
    summary: { created: sent.length - (failAt === undefined ? 0 : 1), updated: 0, unchanged: 0, failed: failAt === undefined ? 0 : 1 },
    results: sent.map((_, index) =>
      index === failAt
        ? { index, status: 'failed', id: null, error: { code: 'validation_error', message: 'Bad.', details: { fields: { email: ['Nope.'] } } } }
        : { index, status: 'created', id: `id${index}`, error: null },
    ),
  });

  it('splits into requests of the maximum size', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('sends in order, offsets each result to its place in the whole file, and reports progress', async () => {
    const send = vi.fn(async (sent: unknown[]) => answer(sent, sent.length === 2 && send.mock.calls.length === 2 ? 1 : undefined));
    const progress = vi.fn();
    const run = await runBulk(rows, { auth: { staff: { accessToken: async () => 'k' } }, dryRun: false, chunkSize: 2, send, onProgress: progress });
    expect(send).toHaveBeenCalledTimes(3);
    expect(send.mock.calls.map((call) => call[0])).toEqual([rows.slice(0, 2), rows.slice(2, 4), rows.slice(4)]);
    expect(run.results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
    expect(run.results[3]).toMatchObject({ status: 'failed', index: 3 });
    expect(run.summary).toEqual({ created: 4, updated: 0, unchanged: 0, failed: 1 });
    expect(progress.mock.calls.map((call) => call[0].sent)).toEqual([0, 2, 4, 5]);
    expect(run.stoppedBy).toBeNull();
  });

  it('stops at a failed request and reports every row not answered as failed', async () => {
    const { ApiError } = await import('@/lib/api-client');
    const send = vi.fn(async (sent: unknown[]) => {
      if (send.mock.calls.length === 2) throw new ApiError(503, { code: 'unavailable', message: 'Down.', details: {} });
      return answer(sent);
    });
    const run = await runBulk(rows, { auth: { staff: { accessToken: async () => 'k' } }, dryRun: true, chunkSize: 2, send });
    expect(send).toHaveBeenCalledTimes(2);
    expect(run.results).toHaveLength(5);
    expect(run.results.slice(2).every((r) => r.status === 'failed' && r.error?.code === 'not_sent')).toBe(true);
    expect(run.summary.failed).toBe(3);
    expect(run.stoppedBy).toMatchObject({ status: 503 });
  });
});

describe('failed rows', () => {
  it('describes a failure by its fields or its conflicts', () => {
    expect(describeRowError({ code: 'validation_error', message: 'Invalid value for: email.', details: { fields: { email: ['Not valid.'] } } })).toBe('email: Not valid.');
    expect(describeRowError({ code: 'conflict', message: 'Clash.', details: { conflicts: [{ field: 'email', id: 'x1' }, { field: 'phone' }] } })).toBe(
      'Clash. (email used by x1; phone already used)',
    );
  });

  it('exports them as CSV with the reason, formulas neutralised', () => {
    const rows = [{ full_name: 'Ok', email: 'ok@x.co' }, { full_name: '=cmd|calc', email: 'bad', phone: '+1 555' }];
    const csv = failedRowsCsv(rows, [
      { index: 0, status: 'created', id: 'a', error: null },
      { index: 1, status: 'failed', id: null, error: { code: 'validation_error', message: 'Bad.', details: { fields: { email: ['Not valid.'] } } } },
    ]);
    expect(csv).toBe("full_name,email,phone,row,error\r\n'=cmd|calc,bad,'+1 555,2,email: Not valid.\r\n");
  });
});
