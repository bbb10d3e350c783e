import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import axe from 'axe-core';

import { apiError, mockApi } from '@/testing/fetch-mock';
import { makeProfessional, makeResume } from '@/testing/fixtures';
import { renderApp } from '@/testing/render';
import type { SearchHit } from '@/types/api';

import { SimilarPanel } from './similar-panel';

const near = (overrides: Parameters<typeof makeProfessional>[0], text: string | null, score?: number): SearchHit => ({
  ...makeProfessional({ resume: makeResume(), ...overrides }),
  match: { fields: ['resume'], snippet: text, passages: text && score !== undefined ? [{ text, score }] : [] },
});

const ITEMS = [
  near({ id: 'grace', full_name: 'Grace Hopper', job_title: 'Rear admiral', company_name: 'US Navy' }, 'Wrote the first compiler. Led COBOL.', 0.912),
  near({ id: 'alan', full_name: 'Alan Turing' }, 'Broke ciphers at Bletchley.', 0.5),
  near({ id: 'old', full_name: 'Snippet Only' }, 'An older API sends the snippet alone.'),
];

function setup(answer: () => { status: number; body?: unknown }, role: 'viewer' | 'editor' = 'viewer') {
  const api = mockApi([['GET', '/api/professionals/ada/similar', answer]]);
  const view = renderApp(
    [
      { path: '/staff/professionals/ada', element: <SimilarPanel id="ada" /> },
      { path: '/staff/professionals/:id', element: <p>another professional</p> },
    ],
    { path: '/staff/professionals/ada', staff: { token: 'k', role } },
  );
  return { ...api, ...view, user: userEvent.setup() };
}

describe('SimilarPanel', () => {
  it('lists the nearest professionals, each linked to their page with their nearest passage', async () => {
    const { calls, user, router } = setup(() => ({ status: 200, body: { items: ITEMS } }));
    const panel = await screen.findByRole('region', { name: 'Similar professionals' });
    const list = await within(panel).findByRole('list', { name: 'Similar professionals, nearest first' });
    const items = [...list.children] as HTMLElement[];
    expect(items).toHaveLength(3);
    expect(items[0]).toHaveTextContent('Grace Hopper · Rear admiral, US Navy');
    expect(within(items[0]).getByRole('blockquote')).toHaveTextContent('Wrote the first compiler. Led COBOL.');
    expect(items[0]).toHaveTextContent('91% match');
    expect(items[0].querySelector('mark')).toBeNull(); // no query: nothing to mark
    expect(items[1]).toHaveTextContent('50% match');
    expect(within(items[2]).getByRole('blockquote')).toHaveTextContent('An older API sends the snippet alone.');
    expect(items[2]).not.toHaveTextContent('% match');
    expect(calls).toHaveLength(1);
    expect(calls[0].headers.get('Authorization')).toBe('Bearer k'); // a viewer may read it

    await user.click(within(items[1]).getByRole('link', { name: 'Alan Turing' }));
    expect(router.state.location.pathname).toBe('/staff/professionals/alan');
  });

  it('says when there is nobody similar yet (no ready resume)', async () => {
    setup(() => ({ status: 200, body: { items: [] } }));
    expect(await screen.findByText('No similar professionals yet')).toBeInTheDocument();
    expect(screen.queryByRole('list')).toBeNull();
  });

  it('says when search by meaning is unavailable (503), and tries again', async () => {
    let down = true;
    const { user } = setup(() => (down ? apiError(503, 'unavailable', 'The model is not loaded.') : { status: 200, body: { items: ITEMS.slice(0, 1) } }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Search by meaning is unavailable right now; keyword search still works.');
    down = false;
    await user.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('link', { name: 'Grace Hopper' })).toBeInTheDocument();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it("shows any other failure with the API's message", async () => {
    setup(() => apiError(500, 'internal', 'Something broke.'));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not find similar professionals');
    expect(alert).toHaveTextContent('Something broke.');
  });

  it('has no axe violations', async () => {
    const { container } = setup(() => ({ status: 200, body: { items: ITEMS } }));
    await screen.findByRole('list', { name: 'Similar professionals, nearest first' });
    const result = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
    expect(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  }, 30_000);
});
