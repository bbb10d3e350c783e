import type { BulkResponse } from '@/types/api';

import { runBulk } from '../api/bulk-upsert';

import { formatValue, rowUpdates } from './changes';

describe('what an update changes', () => {
  it('names who is updated from the stored values, the row filling in what did not change', () => {
    const rows = [
      { email: 'alan@example.com', phone: '+44 20 7946 0000' },
      { full_name: 'Grace Hopper', email: 'grace.new@example.com' },
      { full_name: 'Ada', email: 'ada@example.com' },
    ];
    const updates = rowUpdates(rows, [
      // Matched by phone (the owner had no email): the stored email is the change's "from".
      { index: 0, status: 'updated', id: 'a', error: null, changes: { email: { from: null, to: 'alan@example.com' } } },
      { index: 1, status: 'updated', id: 'g', error: null, changes: { email: { from: 'grace@example.com', to: 'grace.new@example.com' } } },
      { index: 2, status: 'created', id: null, error: null },
    ]);
    expect(updates.map(({ index, id, name, email, phone }) => ({ index, id, name, email, phone }))).toEqual([
      // The row carried no name: unknown without a GET, so none is guessed.
      { index: 0, id: 'a', name: null, email: null, phone: '+44 20 7946 0000' },
      { index: 1, id: 'g', name: 'Grace Hopper', email: 'grace@example.com', phone: null },
    ]);
    expect(updates[0].changes).toEqual([
      { field: 'email', label: 'Email', from: '(empty)', to: 'alan@example.com', fromEmpty: true, toEmpty: false },
    ]);
  });

  it('lists fields in the form order, unknown ones last, and shows any value as text', () => {
    const [update] = rowUpdates([{}], [{
      index: 0, status: 'updated', id: 'x', error: null,
      changes: { zeta: { from: 1, to: { a: 2 } }, job_title: { from: 'A', to: 'B' }, full_name: { from: 'N', to: 'M' } },
    }]);
    expect(update.changes.map((c) => [c.label, c.from, c.to])).toEqual([
      ['Full name', 'N', 'M'],
      ['Job title', 'A', 'B'],
      ['zeta', '1', '{"a":2}'],
    ]);
    expect([formatValue(null), formatValue(undefined), formatValue(''), formatValue(0)]).toEqual(['(empty)', '(empty)', '(empty)', '0']);
  });

  it('an updated result without changes (an older API) is listed with none', () => {
    const updates = rowUpdates([{ full_name: 'Ada' }], [{ index: 0, status: 'updated', id: 'x', error: null }]);
    expect(updates).toEqual([{ index: 0, id: 'x', name: 'Ada', email: null, phone: null, changes: [] }]);
  });

  it('keeps each chunk\'s changes on its rows, numbered across chunks', async () => {
    const send = async (chunk: unknown[]): Promise<BulkResponse> => ({
      summary: { created: 0, updated: chunk.length, unchanged: 0, failed: 0 },
      results: chunk.map((row, index) => ({
        index, status: 'updated', id: String((row as { email: string }).email), error: null,
        changes: { job_title: { from: null, to: `${(row as { email: string }).email} title` } },
      })),
    });
    const rows = Array.from({ length: 5 }, (_, i) => ({ email: `p${i}@x.co` }));
    const run = await runBulk(rows, { auth: { staff: { accessToken: async () => 'k' } }, dryRun: true, chunkSize: 2, send });
    expect(rowUpdates(rows, run.results).map((u) => [u.index, u.email, u.changes[0].to])).toEqual([
      [0, 'p0@x.co', 'p0@x.co title'],
      [1, 'p1@x.co', 'p1@x.co title'],
      [2, 'p2@x.co', 'p2@x.co title'],
      [3, 'p3@x.co', 'p3@x.co title'],
      [4, 'p4@x.co', 'p4@x.co title'],
    ]);
  });
});
