import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { mockApi } from '@/testing/fetch-mock';
import { renderRoute } from '@/testing/render';
import type { BulkResult } from '@/types/api';

import { BulkImport } from './bulk-import';

function answer(rows: Record<string, string>[], dryRun: boolean) {
  const results: BulkResult[] = rows.map((row, index) =>
    row.email?.includes('@')
      ? { index, status: 'created', id: dryRun ? null : `id${index}`, error: null }
      : { index, status: 'failed', id: null, error: { code: 'validation_error', message: 'Invalid value for: email.', details: { fields: { email: ['Not a valid e-mail address.'] } } } },
  );
  const failed = results.filter((r) => r.status === 'failed').length;
  return { summary: { created: rows.length - failed, updated: 0, unchanged: 0, failed }, results };
}

describe('BulkImport', () => {
  it('previews a CSV with its columns mapped, dry-runs, imports, and shows the bad row with its reason', async () => {
    const { calls } = mockApi([
      ['POST', '/api/professionals/bulk', ({ url, body }) => ({
        status: 207,
        body: answer(body as Record<string, string>[], url.searchParams.get('dry_run') === 'true'),
      })],
    ]);
    const user = userEvent.setup();
    renderRoute(<BulkImport />, { staffKey: 'k' });

    const csv = 'Name,Email,Comment\nAda,ada@example.com,x\nBad Row,not-an-email,y\nGrace,grace@example.com,\n';
    await user.upload(screen.getByLabelText('CSV file'), new File([csv], 'people.csv', { type: 'text/csv' }));

    const step = await screen.findByRole('heading', { name: '2. Check the columns' });
    await waitFor(() => expect(step).toHaveFocus());
    expect(screen.getByLabelText('Name')).toHaveValue('full_name');
    expect(screen.getByLabelText('Email')).toHaveValue('email');
    expect(screen.getByLabelText('Comment')).toHaveValue('');
    expect(screen.getByText(/First 3 of 3 rows from people.csv/)).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Dry run' }));
    expect(await screen.findByRole('heading', { name: /Dry run results/ })).toBeInTheDocument();
    expect(calls[0].url.searchParams.get('dry_run')).toBe('true');
    expect(calls[0].body).toEqual([
      { full_name: 'Ada', email: 'ada@example.com' },
      { full_name: 'Bad Row', email: 'not-an-email' },
      { full_name: 'Grace', email: 'grace@example.com' },
    ]);

    await user.click(screen.getByRole('button', { name: 'Import 3 rows' }));
    expect(await screen.findByRole('heading', { name: 'Import results' })).toBeInTheDocument();
    expect(calls[1].url.searchParams.get('dry_run')).toBeNull();
    const summary = screen.getByTestId('bulk-summary');
    expect(within(summary).getByText('created').nextSibling).toHaveTextContent('2');
    expect(within(summary).getByText('failed').nextSibling).toHaveTextContent('1');
    const failed = within(screen.getByTestId('bulk-results')).getByRole('row', { name: /Bad Row/ });
    expect(failed).toHaveTextContent('2failed');
    expect(failed).toHaveTextContent('email: Not a valid e-mail address.');
    expect(screen.getByRole('button', { name: 'Download failed rows (CSV)' })).toBeInTheDocument();
  });

  it('will not send until a column is mapped to email or phone', async () => {
    mockApi([]);
    const user = userEvent.setup();
    renderRoute(<BulkImport />, { staffKey: 'k' });
    await user.click(screen.getByLabelText('JSON to paste'));
    await user.click(screen.getByLabelText('JSON array of professionals'));
    await user.paste('[{"who":"Ada","contact":"ada@example.com"}]');
    await user.click(screen.getByRole('button', { name: 'Preview' }));
    expect(await screen.findByText(/Choose the column that holds the email or the phone/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Dry run' })).toBeDisabled();
    await user.selectOptions(screen.getByLabelText('contact'), 'email');
    expect(screen.getByRole('button', { name: 'Dry run' })).toBeEnabled();
  });

  it('says what is wrong with pasted JSON', async () => {
    mockApi([]);
    const user = userEvent.setup();
    renderRoute(<BulkImport />, { staffKey: 'k' });
    await user.click(screen.getByLabelText('JSON to paste'));
    await user.click(screen.getByLabelText('JSON array of professionals'));
    await user.paste('{"full_name":"Ada"}');
    await user.click(screen.getByRole('button', { name: 'Preview' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Paste a JSON array of objects');
  });
});
