import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import axe from 'axe-core';

import type { HistoryEntry } from '@/types/api';
import { apiError, mockApi } from '@/testing/fetch-mock';
import { renderRoute } from '@/testing/render';

import { actorLabel, HistoryPanel, valueLabel } from './history-panel';

const entry = (overrides: Partial<HistoryEntry>): HistoryEntry => ({
  at: '2026-12-07T10:00:00.000Z',
  action: 'updated',
  actor: { kind: 'staff', name: 'editor@example.com' },
  via: 'api',
  changes: {},
  ...overrides,
});

const PAGE_1 = {
  items: [
    entry({ at: '2026-12-07T12:30:00.000Z', changes: { job_title: { from: 'Analyst', to: 'Countess' }, phone: { from: '+441234567890', to: null } } }),
    entry({ at: '2026-12-07T11:00:00.000Z', action: 'resume_ready', actor: { kind: 'system', name: 'resume-processor' }, via: 'resume', changes: {} }),
  ],
  next_cursor: 'c2',
};
const PAGE_2 = {
  items: [
    entry({ at: '2026-12-06T09:00:00.000Z', action: 'email_verified', actor: { kind: 'person', name: null }, via: 'self_service', changes: { email_verified: { from: false, to: true } } }),
    entry({ at: '2026-12-06T08:00:00.000Z', action: 'created', actor: { kind: 'anonymous', name: null }, via: 'api', changes: { full_name: { from: null, to: 'Ada Lovelace' } } }),
  ],
  next_cursor: null,
};

function setup(answer: (cursor: string | null) => { status: number; body?: unknown }) {
  const api = mockApi([['GET', '/api/professionals/ada/history', ({ url }) => answer(url.searchParams.get('cursor'))]]);
  const view = renderRoute(<HistoryPanel id="ada" />, { staff: { token: 'k', role: 'viewer' } });
  return { ...api, ...view, user: userEvent.setup() };
}

describe('HistoryPanel', () => {
  it('shows who changed what, from what to what, and when, newest first; loads more with the cursor', async () => {
    const { calls, user } = setup((cursor) => ({ status: 200, body: cursor === 'c2' ? PAGE_2 : PAGE_1 }));
    const panel = await screen.findByRole('region', { name: 'History' });
    const list = await within(panel).findByRole('list', { name: 'Changes, newest first' });
    let items = within(list).getAllByRole('listitem');
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent(/^Updated by editor@example\.com via the console or API, /);
    const when = items[0].querySelector('time')!;
    expect(when).toHaveAttribute('dateTime', '2026-12-07T12:30:00.000Z');
    expect(when).toHaveAttribute('title', '2026-12-07T12:30:00.000Z');
    const rows = within(items[0]).getAllByRole('row').map((row) => row.textContent);
    expect(rows).toEqual(['FieldFromTo', 'Job titleAnalystCountess', 'Phone+441234567890—']);
    expect(items[1]).toHaveTextContent(/^Resume ready by system: resume-processor via resume processing/);
    expect(within(items[1]).queryByRole('table')).toBeNull();

    expect(calls[0].url.searchParams.get('limit')).toBe('10');
    expect(calls[0].url.searchParams.get('cursor')).toBeNull();
    expect(calls[0].headers.get('Authorization')).toBe('Bearer k');
    await user.click(within(panel).getByRole('button', { name: 'Load more' }));
    await within(list).findByText('anonymous sign-up');
    expect(calls.at(-1)!.url.searchParams.get('cursor')).toBe('c2');
    items = within(list).getAllByRole('listitem');
    expect(items.map((item) => item.querySelector('span')!.textContent)).toEqual(['Updated', 'Resume ready', 'Email verified', 'Created']);
    expect(items[2]).toHaveTextContent('by the person via self-service');
    expect(items[3]).toHaveTextContent('by anonymous sign-up');
    expect(within(items[2]).getAllByRole('row')[1]).toHaveTextContent('Email verifiednoyes');
    expect(within(panel).queryByRole('button', { name: 'Load more' })).toBeNull();
  });

  it('says when there is nothing yet, and when the history cannot be read', async () => {
    setup(() => ({ status: 200, body: { items: [], next_cursor: null } }));
    expect(await screen.findByText('No changes recorded yet.')).toBeInTheDocument();
  });

  it("shows the API's message when it fails", async () => {
    setup(() => apiError(503, 'unavailable', 'The history is unavailable right now.'));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load the history');
    expect(alert).toHaveTextContent('The history is unavailable right now.');
  });

  it('labels every kind of actor and value', () => {
    expect(actorLabel({ kind: 'key', name: 'crm-sync' })).toBe('API key “crm-sync”');
    expect(actorLabel({ kind: 'system', name: 'purge' })).toBe('system: purge');
    expect(valueLabel(null, true)).toBe('(removed)');
    expect(valueLabel(null, false)).toBe('—');
    expect(valueLabel('', false)).toBe('(empty)');
    expect(valueLabel({ version: 'v1' }, false)).toBe('{"version":"v1"}');
  });

  it('has no axe violations', async () => {
    const { container } = setup(() => ({ status: 200, body: PAGE_1 }));
    await screen.findByRole('list', { name: 'Changes, newest first' });
    const result = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
    expect(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  }, 30_000);
});
