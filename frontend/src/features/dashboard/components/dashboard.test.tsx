import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import axe from 'axe-core';

import { StaffSignInGate } from '@/features/staff-session/components/staff-sign-in-gate';
import { apiError, mockApi, type MockRequest } from '@/testing/fetch-mock';
import { renderApp } from '@/testing/render';

import type { StatsDay } from '../api/get-stats';

import { Dashboard } from './dashboard';

const TODAY = new Date('2026-12-07T15:00:00Z');

function day(date: string, overrides: Partial<StatsDay> = {}): StatsDay {
  return {
    date,
    signups: { direct: 0, partner: 0, internal: 0 },
    resumes: { ready: 0, rejected: {} },
    bulk_rows: { created: 0, updated: 0, unchanged: 0, failed: 0 },
    mails: { sent: 0, suppressed: 0 },
    erasures: 0,
    ...overrides,
  };
}

/** Every day from `from` to `to` as the API answers them: zeros but for the busy ones given. */
function daysBetween(from: string, to: string, busy: Record<string, Partial<StatsDay>> = {}): StatsDay[] {
  const days = [];
  for (let at = new Date(`${from}T00:00:00Z`); at <= new Date(`${to}T00:00:00Z`); at.setUTCDate(at.getUTCDate() + 1)) {
    const date = at.toISOString().slice(0, 10);
    days.push(day(date, busy[date]));
  }
  return days;
}

const BUSY: Record<string, Partial<StatsDay>> = {
  '2026-12-07': {
    signups: { direct: 3, partner: 1, internal: 0 },
    resumes: { ready: 2, rejected: { not_pdf: 1 } },
    bulk_rows: { created: 120, updated: 4, unchanged: 10, failed: 1 },
    mails: { sent: 3, suppressed: 1 },
    erasures: 1,
  },
  '2026-12-05': {
    signups: { direct: 1, partner: 0, internal: 2 },
    resumes: { ready: 1, rejected: { too_large: 2, not_pdf: 1 } },
  },
};

function setup(answer: (request: MockRequest) => ReturnType<typeof apiError> | { status: number; body: unknown } = ({ url }) => ({
  status: 200,
  body: { days: daysBetween(url.searchParams.get('from')!, url.searchParams.get('to')!, BUSY) },
}), path = '/staff/dashboard') {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(TODAY);
  const api = mockApi([['GET', '/api/stats', answer]]);
  const view = renderApp(
    [{ path: '/staff/dashboard', element: <StaffSignInGate><Dashboard /></StaffSignInGate> }],
    { path, staff: { token: 'k' } },
  );
  return { ...api, ...view, user: userEvent.setup() };
}

afterEach(() => {
  vi.useRealTimers();
});

/** The figures of a table, row by row, as text. */
const rowsOf = (table: HTMLElement) =>
  [...table.querySelectorAll('tr')].map((row) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent));

describe('Dashboard', () => {
  it('asks for the last 30 days with the staff key and draws a chart and a table for each figure', async () => {
    const { calls } = setup();
    const signups = await screen.findByRole('region', { name: 'Sign-ups per day, by source' });
    expect(calls).toHaveLength(1);
    expect(calls[0].url.searchParams.get('from')).toBe('2026-11-08');
    expect(calls[0].url.searchParams.get('to')).toBe('2026-12-07');
    expect(calls[0].headers.get('Authorization')).toBe('Bearer k');
    expect(screen.getByText(/The last 30 days, 2026-11-08 to 2026-12-07/)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: '30 days' })).toHaveAttribute('aria-current', 'page');

    // Each chart is an image named by its heading, described by its totals, with its table under it
    // (queried by selector: the accessibility tree of five 30-day tables is slow to build in jsdom).
    const headings = screen.getAllByRole('heading', { level: 2 }).map((h) => h.textContent);
    expect(headings).toEqual(['Sign-ups per day, by source', 'Resumes ready, and rejected by reason', 'Bulk rows per day, by outcome', 'Mails per day, sent and suppressed', 'Erasures per day']);
    for (const name of headings) {
      const section = screen.getByText(name!, { selector: 'h2' }).closest('section')!;
      const svg = section.querySelector('svg[role="img"]')!;
      expect(svg).toHaveAccessibleName(name!);
      expect(svg).toHaveAccessibleDescription(/Every day's figures are in the table below\.$/);
      expect(section.querySelector('table caption')).toHaveTextContent(`${name}, a row a day, newest first`);
    }
    expect(within(signups).getByRole('img')).toHaveAccessibleName('Sign-ups per day, by source');

    // Stacked: one bar part per source and busy day, none for the zeros.
    const chart = within(signups).getByRole('img');
    expect(chart.querySelectorAll('rect[data-series="direct"]')).toHaveLength(2);
    expect(chart.querySelectorAll('rect[data-series="internal"]')).toHaveLength(1);
    expect(chart.querySelector('desc')).toHaveTextContent('7 sign-ups from 2026-11-08 to 2026-12-07: Direct 4, Partner 1, Internal 2. Most on 2026-12-07: 4.');

    const rows = rowsOf(within(signups).getByRole('table'));
    expect(rows).toHaveLength(1 + 30 + 1);
    expect(rows[0]).toEqual(['Date', 'Direct', 'Partner', 'Internal', 'Total']);
    expect(rows[1]).toEqual(['2026-12-07', '3', '1', '0', '4']);
    expect(rows[3]).toEqual(['2026-12-05', '1', '0', '2', '3']);
    expect(rows[30]).toEqual(['2026-11-08', '0', '0', '0', '0']);
    expect(rows.at(-1)).toEqual(['Total', '4', '1', '2', '7']);
  }, 20_000);

  it('stacks ready resumes and each rejection reason, most frequent first', async () => {
    setup();
    const resumes = await screen.findByRole('region', { name: 'Resumes ready, and rejected by reason' });
    const rows = rowsOf(within(resumes).getByRole('table'));
    expect(rows[0]).toEqual(['Date', 'Ready', 'Rejected: not a PDF', 'Rejected: too large', 'Total']);
    expect(rows[1]).toEqual(['2026-12-07', '2', '1', '0', '3']);
    expect(rows[3]).toEqual(['2026-12-05', '1', '1', '2', '4']);
    expect(within(resumes).getByRole('list', { name: 'Legend' })).toHaveTextContent('Ready (3)Rejected: not a PDF (2)Rejected: too large (2)');

    const erasures = screen.getByRole('region', { name: 'Erasures per day' });
    expect(rowsOf(within(erasures).getByRole('table'))[0]).toEqual(['Date', 'Erased']);
    expect(within(erasures).getByText('1 erasure in 30 days')).toBeInTheDocument();
  });

  it('keeps the period in the URL: 7 days asks for those days', async () => {
    const { user, calls, router } = setup();
    await screen.findByRole('region', { name: 'Erasures per day' });
    await user.click(screen.getByRole('link', { name: '7 days' }));
    expect(await screen.findByText(/The last 7 days, 2026-12-01 to 2026-12-07/)).toBeInTheDocument();
    expect(router.state.location.search).toBe('?days=7');
    expect(calls.at(-1)!.url.searchParams.get('from')).toBe('2026-12-01');
    const table = await screen.findByRole('table', { name: /^Mails per day/ });
    await vi.waitFor(() => expect(rowsOf(table)).toHaveLength(1 + 7 + 1));
    expect(screen.getByRole('link', { name: '7 days' })).toHaveAttribute('aria-current', 'page');
  });

  it('opens the period a URL names', async () => {
    const { calls } = setup(undefined, '/staff/dashboard?days=90');
    await screen.findByRole('region', { name: 'Erasures per day' });
    expect(calls[0].url.searchParams.get('from')).toBe('2026-09-09');
  });

  it('reads an unknown ?days= as the default 30', async () => {
    const { calls } = setup(undefined, '/staff/dashboard?days=12');
    await screen.findByRole('region', { name: 'Erasures per day' });
    expect(calls[0].url.searchParams.get('from')).toBe('2026-11-08');
  });

  it('says when nothing happened in the period', async () => {
    setup(({ url }) => ({ status: 200, body: { days: daysBetween(url.searchParams.get('from')!, url.searchParams.get('to')!) } }));
    expect(await screen.findByText('Nothing happened in the last 30 days.')).toBeInTheDocument();
    expect(screen.queryByRole('img')).not.toBeInTheDocument();
  });

  it("shows the error envelope's message and fields, and tries again", async () => {
    let fail = true;
    const { user } = setup(({ url }) =>
      fail
        ? apiError(400, 'validation_error', 'The range is not valid.', { fields: { from: ['must be on or before to'] } })
        : { status: 200, body: { days: daysBetween(url.searchParams.get('from')!, url.searchParams.get('to')!, BUSY) } },
    );
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The figures could not be loaded.');
    expect(alert).toHaveTextContent('The range is not valid.');
    expect(alert).toHaveTextContent('from: must be on or before to');
    fail = false;
    await user.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('region', { name: 'Erasures per day' })).toBeInTheDocument();
  });

  it('asks to sign in again on a 401', async () => {
    setup(() => apiError(401, 'unauthorized', 'Expired.'));
    expect(await screen.findByLabelText('Email')).toBeInTheDocument();
    expect(screen.getByText('Your session has ended. Sign in again.')).toBeInTheDocument();
  });

  it('reads a figure the answer leaves out as 0', async () => {
    setup(() => ({ status: 200, body: { days: [{ date: '2026-12-07', signups: { direct: 2 } }] } }));
    const signups = await screen.findByRole('region', { name: 'Sign-ups per day, by source' });
    expect(rowsOf(within(signups).getByRole('table'))[1]).toEqual(['2026-12-07', '2', '0', '0', '2']);
  });

  it('has no axe violations', async () => {
    const { container } = setup(undefined, '/staff/dashboard?days=7');
    await screen.findByRole('region', { name: 'Erasures per day' });
    // jsdom lays nothing out: colour contrast is checked in Chromium (tests/e2e/test_spa_dashboard.py).
    const result = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
    expect(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  }, 30_000);
});
