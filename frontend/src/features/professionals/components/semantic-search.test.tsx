import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import axe from 'axe-core';

import { StaffSignInGate } from '@/features/staff-session/components/staff-sign-in-gate';
import { apiError, mockApi, type MockRequest, type MockResponse } from '@/testing/fetch-mock';
import { makeProfessional, makeResume } from '@/testing/fixtures';
import { renderApp } from '@/testing/render';
import type { SearchHit, SearchMatch } from '@/types/api';

import { ProfessionalsList } from './professionals-list';

const hit = (overrides: Parameters<typeof makeProfessional>[0], match: SearchMatch): SearchHit => ({
  ...makeProfessional({ resume: makeResume(), ...overrides }),
  match,
});

const PASSAGES = [
  { text: 'Designed card payment systems for a retail bank. Enjoys sailing.', score: 0.874 },
  { text: 'Moved node.js services to Kubernetes.', score: 0.61 },
  { text: 'Ran the clearing house for interbank transfers.', score: 0.5 },
];
const grace = hit(
  { full_name: 'Grace Hopper', job_title: 'Engineer' },
  { fields: ['resume'], snippet: PASSAGES[0].text, passages: PASSAGES },
);
const listed = [makeProfessional({ full_name: 'Listed One' })];

type Search = (q: string, request: MockRequest) => MockResponse | Promise<MockResponse>;

function setup(search: Search, path = '/staff', role: 'editor' | 'viewer' = 'editor') {
  const api = mockApi([
    ['GET', '/api/professionals', (request) => {
      const q = request.url.searchParams.get('q');
      return q === null ? { status: 200, body: { items: listed, next_cursor: null } } : search(q, request);
    }],
  ]);
  const view = renderApp(
    [
      { path: '/staff', element: <StaffSignInGate><ProfessionalsList /></StaffSignInGate> },
      { path: '/staff/professionals/:id', element: <p>detail</p> },
    ],
    { path, staff: { token: 'k', role } },
  );
  const searches = () => api.calls.filter((call) => call.url.searchParams.has('q'));
  return { ...api, ...view, searches, user: userEvent.setup() };
}

const box = () => screen.getByRole('searchbox', { name: 'Search professionals' });
const modes = () => screen.getByRole('group', { name: 'Search by' });
// The first result (its passages are list items of their own).
const firstResult = async () => (await screen.findByRole('list', { name: 'Search results, page 1' })).children[0] as HTMLElement;
const found = (items: SearchHit[], next_cursor: string | null = null) => ({ status: 200, body: { items, next_cursor } });

describe('Search by meaning', () => {
  it('is a choice beside the box, keywords by default, kept in the URL and sent as mode', async () => {
    const { user, searches, router } = setup(() => found([grace]));
    await screen.findByRole('table');
    expect(within(modes()).getByRole('radio', { name: 'Keywords' })).toBeChecked();
    expect(within(modes()).getAllByRole('radio').map((radio) => radio.getAttribute('value'))).toEqual(['keyword', 'semantic', 'hybrid']);

    // Chosen before typing: kept in the URL, nothing searched, the list still shown.
    await user.click(within(modes()).getByRole('radio', { name: 'By meaning' }));
    expect(router.state.location.search).toBe('?mode=semantic');
    expect(screen.getByRole('table')).toBeInTheDocument();
    expect(screen.getByText(/Describe the experience you are looking for/)).toBeInTheDocument();
    expect(box()).toHaveAttribute('maxLength', '500');

    await user.type(box(), 'built payment systems for banks{Enter}');
    await screen.findByRole('list', { name: 'Search results, page 1' });
    expect(router.state.location.search).toBe('?q=built+payment+systems+for+banks&mode=semantic');
    expect(searches()).toHaveLength(1);
    const params = searches()[0].url.searchParams;
    expect([params.get('q'), params.get('mode')]).toEqual(['built payment systems for banks', 'semantic']);
    expect(searches()[0].headers.get('Authorization')).toBe('Bearer k');

    // Back to keywords: the same q, without mode.
    await user.click(within(modes()).getByRole('radio', { name: 'Keywords' }));
    await waitFor(() => expect(searches()).toHaveLength(2));
    expect(searches()[1].url.searchParams.has('mode')).toBe(false);
    expect(router.state.location.search).toBe('?q=built+payment+systems+for+banks');
    expect(box()).toHaveAttribute('maxLength', '200');

    // A reload of a URL with the mode searches by meaning at once; back restores the mode.
    await act(() => router.navigate(-1));
    await waitFor(() => expect(within(modes()).getByRole('radio', { name: 'By meaning' })).toBeChecked());
    expect(searches().at(-1)!.url.searchParams.get('mode')).toBe('semantic');
  });

  it('asks for 3 characters without calling the API, and sends hybrid the same way', async () => {
    const { user, searches, router } = setup(() => found([grace]), '/staff?mode=semantic');
    await screen.findByRole('table');
    await user.type(box(), 'ab{Enter}');
    const hint = await screen.findByText('Type at least 3 characters to search by meaning.');
    expect(hint.closest('[role="status"]')).toHaveTextContent('Nothing was searched.');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(searches()).toHaveLength(0);

    // "ab" is a keyword search of its own.
    await user.click(within(modes()).getByRole('radio', { name: 'Keywords' }));
    await waitFor(() => expect(searches()).toHaveLength(1));

    await user.click(within(modes()).getByRole('radio', { name: 'Both' }));
    expect(await screen.findByText('Type at least 3 characters to search by meaning.')).toBeInTheDocument();
    expect(router.state.location.search).toBe('?q=ab&mode=hybrid');
    await user.type(box(), 'c{Enter}');
    await screen.findByRole('link', { name: 'Grace Hopper' });
    expect(Object.fromEntries(searches().at(-1)!.url.searchParams)).toEqual({ limit: '25', q: 'abc', mode: 'hybrid' });
  });

  it('refuses more than 500 characters from a URL, and ignores an unknown mode', async () => {
    const { searches } = setup(() => found([grace]), `/staff?mode=semantic&q=${'a'.repeat(501)}`);
    expect(await screen.findByText(/takes at most 500 characters; this one has 501/)).toBeInTheDocument();
    expect(searches()).toHaveLength(0);

    const other = setup(() => found([grace]), '/staff?q=jose&mode=psychic');
    await waitFor(() => expect(other.searches()).toHaveLength(1));
    expect(other.searches()[0].url.searchParams.has('mode')).toBe(false);
  });

  it('shows each result’s passages, best first, with their scores and the sentences that share the query’s words', async () => {
    setup(() => found([grace]), '/staff?q=built+payment+systems+for+banks&mode=semantic', 'viewer');
    const result = await firstResult();
    expect(within(result).getByRole('link', { name: 'Grace Hopper' })).toHaveAttribute('href', `/staff/professionals/${grace.id}`);
    expect(result).toHaveTextContent('Matched in: Resume');
    expect(result).toHaveTextContent('Closest in meaning, from the resume (best first):');
    const quotes = within(result).getAllByRole('blockquote');
    expect(quotes.map((quote) => quote.textContent)).toEqual(PASSAGES.map((passage) => passage.text));
    expect(within(result).getAllByText(/% match$/).map((score) => score.textContent)).toEqual(['87% match', '61% match', '50% match']);
    // The first sentence shares "payment", "systems" and "bank"; the others share nothing.
    const sentences = [...result.querySelectorAll('mark[data-sentence]')].map((mark) => mark.textContent);
    expect(sentences).toEqual(['Designed card payment systems for a retail bank. ']);
    const words = [...result.querySelectorAll('mark[data-sentence] mark')].map((mark) => mark.textContent);
    expect(words).toEqual(['payment', 'systems', 'bank']);
    expect(screen.getByText('Page 1: 1 result for “built payment systems for banks”.')).toBeInTheDocument();
  });

  it('pages by next_cursor with the mode kept, and says more may follow after a short page', async () => {
    const second = hit({ full_name: 'Second Page' }, { fields: ['resume'], snippet: 'x', passages: [{ text: 'Kubernetes at scale.', score: 0.4 }] });
    const { user, searches, router } = setup((_q, { url }) =>
      url.searchParams.get('cursor') === 's2' ? found([second]) : found([], 's2'),
    '/staff?q=kubernetes+at+scale&mode=semantic');
    expect(await screen.findByText('Page 1: nothing on this page for “kubernetes at scale”; more may follow on the next.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Next →' }));
    expect(await screen.findByRole('link', { name: 'Second Page' })).toBeInTheDocument();
    const params = searches().at(-1)!.url.searchParams;
    expect([params.get('mode'), params.get('cursor')]).toEqual(['semantic', 's2']);
    expect(router.state.location.search).toBe('?q=kubernetes+at+scale&mode=semantic&cursor=s2');
  });

  it('says so when nothing is close in meaning, with the filters that apply to every mode', async () => {
    const { searches } = setup(() => found([]), '/staff?q=underwater+welding&mode=semantic&has_resume=true');
    expect(await screen.findByText('No resume is close in meaning to “underwater welding” with a ready resume.')).toBeInTheDocument();
    expect(screen.getByText(/Only professionals with a ready resume are found by meaning/)).toBeInTheDocument();
    expect(searches()[0].url.searchParams.get('has_resume')).toBe('true');
  });

  it('says when search by meaning is unavailable (503) and offers keywords', async () => {
    const { user, searches, router } = setup((_q, { url }) =>
      url.searchParams.get('mode') ? apiError(503, 'unavailable', 'The model is not loaded.') : found([grace]),
    '/staff?q=payment+systems&mode=semantic');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Search by meaning is unavailable right now; keyword search still works.');
    await user.click(within(alert).getByRole('button', { name: 'Search by keywords' }));
    expect(await screen.findByRole('link', { name: 'Grace Hopper' })).toBeInTheDocument();
    expect(router.state.location.search).toBe('?q=payment+systems');
    expect(searches().at(-1)!.url.searchParams.has('mode')).toBe(false);
  });

  it('shows a hybrid result’s keyword highlights and its passages together', async () => {
    const both = hit(
      { full_name: 'Kube Master' },
      { fields: ['full_name', 'resume'], snippet: 'Ran Kubernetes.', passages: [{ text: 'Ran Kubernetes clusters.', score: 0.7 }] },
    );
    setup(() => found([both]), '/staff?q=kube&mode=hybrid');
    const result = await firstResult();
    expect(result).toHaveTextContent('Matched in: Name, Resume');
    expect(within(result).getByRole('link', { name: 'Kube Master' }).querySelector('mark')).toHaveTextContent('Kube');
    expect(within(result).getAllByRole('blockquote').map((quote) => quote.textContent)).toEqual(['Ran Kubernetes clusters.']);
    expect(within(result).getByText('70% match')).toBeInTheDocument();
  });

  it('has no axe violations (the switch, the passages and their scores)', async () => {
    const { container } = setup(() => found([grace]), '/staff?q=built+payment+systems&mode=semantic');
    await firstResult();
    const result = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
    expect(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  }, 30_000);
});
