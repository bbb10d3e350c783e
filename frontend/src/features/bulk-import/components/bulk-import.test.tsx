import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { mockApi, type MockRequest } from '@/testing/fetch-mock';
import { renderRoute } from '@/testing/render';
import type { BulkResult } from '@/types/api';

import { BulkImport } from './bulk-import';

type Route = Parameters<typeof mockApi>[0][number];

/** The page also lists recent import jobs (GET /imports): none here. */
const NO_JOBS: Route = ['GET', '/api/imports', () => ({ status: 200, body: { items: [], next_cursor: null } })];

/** The bulk requests among the calls (the page's GET /imports left out). */
const bulkCalls = (calls: MockRequest[]) => calls.filter((call) => call.url.pathname === '/api/professionals/bulk');

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
    const { calls: all } = mockApi([
      NO_JOBS,
      ['POST', '/api/professionals/bulk', ({ url, body }) => ({
        status: 207,
        body: answer(body as Record<string, string>[], url.searchParams.get('dry_run') === 'true'),
      })],
    ]);
    const user = userEvent.setup();
    renderRoute(<BulkImport />, { staff: { token: 'k' } });

    const csv = 'Name,Email,Comment\nAda,ada@example.com,x\nBad Row,not-an-email,y\nGrace,grace@example.com,\n';
    await user.upload(screen.getByLabelText('CSV or Excel file'), new File([csv], 'people.csv', { type: 'text/csv' }));

    const step = await screen.findByRole('heading', { name: '2. Check the columns' });
    await waitFor(() => expect(step).toHaveFocus());
    expect(screen.getByLabelText('Name')).toHaveValue('full_name');
    expect(screen.getByLabelText('Email')).toHaveValue('email');
    expect(screen.getByLabelText('Comment')).toHaveValue('');
    expect(screen.getByText(/First 3 of 3 rows from people.csv/)).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Dry run' }));
    expect(await screen.findByRole('heading', { name: /Dry run results/ })).toBeInTheDocument();
    expect(bulkCalls(all)[0].url.searchParams.get('dry_run')).toBe('true');
    expect(bulkCalls(all)[0].body).toEqual([
      { full_name: 'Ada', email: 'ada@example.com' },
      { full_name: 'Bad Row', email: 'not-an-email' },
      { full_name: 'Grace', email: 'grace@example.com' },
    ]);

    await user.click(screen.getByRole('button', { name: 'Import 3 rows' }));
    expect(await screen.findByRole('heading', { name: 'Import results' })).toBeInTheDocument();
    expect(bulkCalls(all)[1].url.searchParams.get('dry_run')).toBeNull();
    const summary = screen.getByTestId('bulk-summary');
    expect(within(summary).getByText('created').nextSibling).toHaveTextContent('2');
    expect(within(summary).getByText('failed').nextSibling).toHaveTextContent('1');
    const failed = within(screen.getByTestId('bulk-results')).getByRole('row', { name: /Bad Row/ });
    expect(failed).toHaveTextContent('2failed');
    expect(failed).toHaveTextContent('email: Not a valid e-mail address.');
    expect(screen.getByRole('button', { name: 'Download failed rows (CSV)' })).toBeInTheDocument();
  });

  it('will not send until a column is mapped to email or phone', async () => {
    mockApi([NO_JOBS]);
    const user = userEvent.setup();
    renderRoute(<BulkImport />, { staff: { token: 'k' } });
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
    mockApi([NO_JOBS]);
    const user = userEvent.setup();
    renderRoute(<BulkImport />, { staff: { token: 'k' } });
    await user.click(screen.getByLabelText('JSON to paste'));
    await user.click(screen.getByLabelText('JSON array of professionals'));
    await user.paste('{"full_name":"Ada"}');
    await user.click(screen.getByRole('button', { name: 'Preview' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Paste a JSON array of objects');
  });
});

// The story of issue 23: "Mary Miller" brings Alan Turing's phone and a new email.
const ALAN = { id: 'alan-id', full_name: 'Alan Turing', email: 'alan@example.com', phone: '+442079460000', company_name: 'NPL' };
const GRACE = { id: 'grace-id', full_name: 'Grace Hopper', email: 'grace@example.com', job_title: null };
const PEOPLE = [
  { full_name: 'Alan Turing', email: 'alan@example.com', company_name: 'Bletchley Park' },
  { full_name: 'Grace B. Hopper', email: 'grace@example.com', job_title: 'Rear Admiral' },
  { full_name: 'Mary Miller', email: 'mary@example.com', phone: '+44 20 7946 0000', company_name: 'Miller & Co' },
  { full_name: 'Ada Lovelace', email: 'ada@example.com' },
  { email: 'alan@example.com', company_name: 'NPL' },
];

/** The API's answer to PEOPLE (as chalicelib/bulk.py plans it against ALAN and GRACE). */
function peopleAnswer(dryRun: boolean) {
  const results: BulkResult[] = [
    { index: 0, status: 'updated', id: ALAN.id, error: null, changes: { company_name: { from: ALAN.company_name, to: 'Bletchley Park' } } },
    {
      index: 1, status: 'updated', id: GRACE.id, error: null,
      changes: { job_title: { from: GRACE.job_title, to: 'Rear Admiral' }, full_name: { from: GRACE.full_name, to: 'Grace B. Hopper' } },
    },
    {
      index: 2, status: 'failed', id: null,
      error: {
        code: 'conflict',
        message: 'The phone belongs to a professional with another email; a row with a different email is another person.',
        details: { conflicts: [{ field: 'phone', id: ALAN.id }] },
      },
    },
    { index: 3, status: 'created', id: dryRun ? null : 'ada-id', error: null },
    { index: 4, status: 'unchanged', id: ALAN.id, error: null },
  ];
  return { status: 207, body: { summary: { created: 1, updated: 2, unchanged: 1, failed: 1 }, results } };
}

async function pasteJson(user: ReturnType<typeof userEvent.setup>, rows: unknown[]) {
  await user.click(screen.getByLabelText('JSON to paste'));
  await user.click(screen.getByLabelText('JSON array of professionals'));
  await user.paste(JSON.stringify(rows));
  await user.click(screen.getByRole('button', { name: 'Preview' }));
  await screen.findByRole('heading', { name: '2. Check the columns' });
}

/** The changes table's updated rows: one <tbody> each, its first cell the row number. */
const changeGroups = (table: HTMLElement) =>
  within(table).getAllByRole('rowgroup').filter((group) => group.tagName === 'TBODY');

describe('BulkImport: what an update changes', () => {
  it('lists who a dry run would update, each field from the stored value to the row, and the phone conflict as a failed row', async () => {
    const { calls: all } = mockApi([
      NO_JOBS,
      ['POST', '/api/professionals/bulk', ({ url }) => peopleAnswer(url.searchParams.get('dry_run') === 'true')],
    ]);
    const user = userEvent.setup();
    renderRoute(<BulkImport />, { staff: { token: 'k' } });
    await pasteJson(user, PEOPLE);

    await user.click(screen.getByRole('button', { name: 'Dry run' }));
    expect(await screen.findByRole('heading', { name: /Dry run results/ })).toBeInTheDocument();
    expect(bulkCalls(all)).toHaveLength(1); // the names come from the answer and the rows: no GET per row
    expect(screen.getByRole('heading', { name: 'What would change' })).toBeInTheDocument();
    const table = screen.getByRole('table', { name: /Rows that would update a professional/ });
    expect(table).toHaveAttribute('data-testid', 'bulk-changes');
    expect(within(table).getAllByRole('columnheader').map((th) => th.textContent)).toEqual(['Row', 'Professional', 'Field', 'From', 'To']);
    const groups = changeGroups(table);
    expect(groups).toHaveLength(2); // created, unchanged and failed rows have no changes to show

    // Alan: the name is not changing, so it is the row's own; the link opens the matched record.
    const [alan, grace] = groups.map((group) => within(group).getAllByRole('row'));
    expect(alan).toHaveLength(1);
    expect(within(alan[0]).getByRole('rowheader', { name: '1' })).toHaveAttribute('scope', 'rowgroup');
    expect(within(alan[0]).getByRole('link', { name: 'Alan Turing' })).toHaveAttribute('href', '/staff/professionals/alan-id');
    expect(alan[0]).toHaveTextContent('alan@example.com');
    expect(cellsAfterField(alan[0], 'Company')).toEqual(['NPL', 'Bletchley Park']);

    // Grace: renamed, so she is named as stored; a field that was empty shows "(empty)".
    expect(grace).toHaveLength(2);
    expect(within(grace[0]).getByRole('link', { name: 'Grace Hopper' })).toHaveAttribute('href', '/staff/professionals/grace-id');
    expect(cellsAfterField(grace[0], 'Full name')).toEqual(['Grace Hopper', 'Grace B. Hopper']);
    expect(cellsAfterField(grace[1], 'Job title')).toEqual(['(empty)', 'Rear Admiral']);
    expect(table).not.toHaveTextContent(/Mary Miller|Ada Lovelace/);

    // Mary Miller does not overwrite Alan: a failed row with the conflict's message.
    const mary = within(screen.getByTestId('bulk-results')).getByRole('row', { name: /Mary Miller/ });
    expect(mary).toHaveTextContent('3failed');
    expect(mary).toHaveTextContent('The phone belongs to a professional with another email');
    expect(mary).toHaveTextContent('phone used by alan-id');

    // The created and unchanged rows are still listed row by row, as before.
    await user.selectOptions(screen.getByLabelText('Show'), 'all');
    const results = screen.getByTestId('bulk-results');
    expect(within(results).getByRole('row', { name: /Ada Lovelace/ })).toHaveTextContent('4created');
    expect(within(results).getByRole('row', { name: /^5 / })).toHaveTextContent('5unchanged');

    // After the real import, the results view shows the same changes.
    await user.click(screen.getByRole('button', { name: 'Import 5 rows' }));
    expect(await screen.findByRole('heading', { name: 'Import results' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'What changed' })).toBeInTheDocument();
    const after = screen.getByRole('table', { name: /Rows that updated a professional/ });
    expect(changeGroups(after)).toHaveLength(2);
    expect(cellsAfterField(within(changeGroups(after)[0]).getByRole('row'), 'Company')).toEqual(['NPL', 'Bletchley Park']);
  });

  it('shows the first 50 updates, and all of them on request', async () => {
    const many = Array.from({ length: 120 }, (_, i) => ({ full_name: `Person ${i + 1}`, email: `p${i + 1}@example.com`, job_title: 'New' }));
    mockApi([
      NO_JOBS,
      ['POST', '/api/professionals/bulk', () => ({
        status: 207,
        body: {
          summary: { created: 0, updated: 120, unchanged: 0, failed: 0 },
          results: many.map((_, index) => ({ index, status: 'updated', id: `id${index}`, error: null, changes: { job_title: { from: 'Old', to: 'New' } } })),
        },
      })],
    ]);
    const user = userEvent.setup();
    renderRoute(<BulkImport />, { staff: { token: 'k' } });
    await pasteJson(user, many);
    await user.click(screen.getByRole('button', { name: 'Dry run' }));

    const table = await screen.findByRole('table', { name: /Rows that would update a professional.*First 50 of 120/ });
    expect(changeGroups(table)).toHaveLength(50);
    expect(table).not.toHaveTextContent('Person 51');
    // The table scrolls inside a region reachable with the keyboard.
    expect(screen.getByRole('region', { name: 'What would change' })).toHaveAttribute('tabindex', '0');

    const more = screen.getByRole('button', { name: 'Show all 120 updates' });
    expect(more).toHaveAttribute('aria-expanded', 'false');
    more.focus();
    await user.keyboard('{Enter}');
    expect(changeGroups(table)).toHaveLength(120);
    expect(table).toHaveAccessibleName(/All 120\./);
    expect(within(table).getByRole('link', { name: 'Person 120' })).toBeInTheDocument();
    const less = screen.getByRole('button', { name: 'Show the first 50 only' });
    expect(less).toHaveAttribute('aria-expanded', 'true');
    expect(less).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(changeGroups(table)).toHaveLength(50);
  });

  it('shows no changes section when no row updates anyone', async () => {
    mockApi([
      NO_JOBS,
      ['POST', '/api/professionals/bulk', ({ body }) => ({ status: 207, body: answer(body as Record<string, string>[], true) })],
    ]);
    const user = userEvent.setup();
    renderRoute(<BulkImport />, { staff: { token: 'k' } });
    await pasteJson(user, [{ full_name: 'Ada', email: 'ada@example.com' }]);
    await user.click(screen.getByRole('button', { name: 'Dry run' }));
    expect(await screen.findByRole('heading', { name: /Dry run results/ })).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'What would change' })).toBeNull();
    expect(screen.queryByTestId('bulk-changes')).toBeNull();
  });
});

/** The From and To cells of a change row, found by its field's row header. */
function cellsAfterField(row: HTMLElement, field: string): string[] {
  const header = within(row).getByRole('rowheader', { name: field });
  expect(header).toHaveAttribute('scope', 'row');
  const cells = within(row).getAllByRole('cell');
  return cells.slice(cells.length - 2).map((cell) => cell.textContent ?? '');
}
