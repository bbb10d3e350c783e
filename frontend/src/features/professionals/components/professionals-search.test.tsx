import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { StaffKeyGate } from '@/features/staff-session/components/staff-key-gate';
import { apiError, mockApi, type MockRequest, type MockResponse } from '@/testing/fetch-mock';
import { makeProfessional } from '@/testing/fixtures';
import { renderApp } from '@/testing/render';
import type { SearchHit, SearchMatch } from '@/types/api';

import { ProfessionalDetail } from './professional-detail';
import { ProfessionalsList } from './professionals-list';

const hit = (overrides: Parameters<typeof makeProfessional>[0], match: SearchMatch): SearchHit => ({
  ...makeProfessional(overrides),
  match,
});

const jose = hit(
  { full_name: 'José Núñez', company_name: 'Acme', job_title: 'Engineer', phone: '+14155550123' },
  { fields: ['full_name', 'resume'], snippet: 'Worked with Jose Smith on <b>engines</b>; JOSÉ again.' },
);
const listed = Array.from({ length: 3 }, (_, i) => makeProfessional({ full_name: `Listed ${i + 1}` }));

type Search = (q: string, request: MockRequest) => MockResponse | Promise<MockResponse>;

function setup(search: Search, path = '/staff') {
  const api = mockApi([
    ['GET', '/api/professionals', (request) => {
      const q = request.url.searchParams.get('q');
      return q === null ? { status: 200, body: { items: listed, next_cursor: null } } : search(q, request);
    }],
  ]);
  const view = renderApp(
    [
      { path: '/staff', element: <StaffKeyGate><ProfessionalsList /></StaffKeyGate> },
      { path: '/staff/professionals/:id', element: <p>detail</p> },
    ],
    { path, staffKey: 'k' },
  );
  const searches = () => api.calls.filter((call) => call.url.searchParams.has('q'));
  return { ...api, ...view, searches, user: userEvent.setup() };
}

const box = () => screen.getByRole('searchbox', { name: 'Search professionals' });
const found = (items: SearchHit[], next_cursor: string | null = null) => ({ status: 200, body: { items, next_cursor } });

describe('Search in the staff console', () => {
  it('searches once typing pauses, and shows where each result matched with the words highlighted', async () => {
    const { user, searches, router } = setup(() => found([jose]));
    await screen.findByRole('table', { name: 'Professionals, page 1' });
    await user.type(box(), 'jose');

    const results = await screen.findByRole('list', { name: 'Search results, page 1' });
    expect(searches()).toHaveLength(1); // one request for the whole word, not one per key
    expect(searches()[0].url.searchParams.get('q')).toBe('jose');
    expect(searches()[0].headers.get('X-Api-Key')).toBe('k');
    expect(router.state.location.search).toBe('?q=jose');
    expect(screen.getByText('Page 1: results 1 to 1 for “jose”.')).toBeInTheDocument();

    const [result] = within(results).getAllByRole('listitem');
    expect(within(result).getByRole('link', { name: 'José Núñez' })).toHaveAttribute('href', `/staff/professionals/${jose.id}`);
    expect(result).toHaveTextContent('Matched in: Name, Resume');
    const marks = [...result.querySelectorAll('mark')].map((mark) => mark.textContent);
    expect(marks).toEqual(['José', 'Jose', 'JOSÉ']); // the name, then the snippet's whole words
    expect(within(result).getByRole('blockquote')).toHaveTextContent('Worked with Jose Smith on <b>engines</b>; JOSÉ again.');
    expect(result.querySelector('b')).toBeNull(); // the snippet is text, never markup
    expect(result).toHaveTextContent('Phone: +14155550123');
    expect(result.querySelectorAll('dd mark')).toHaveLength(0); // phone did not match: nothing marked
  });

  it('never lets an older answer replace a newer one', async () => {
    let releaseSlow = () => {};
    let slowAnswered = () => {};
    const slowDone = new Promise<void>((resolve) => (slowAnswered = resolve));
    const older = hit({ full_name: 'Old Answer' }, { fields: ['full_name'], snippet: null });
    const newer = hit({ full_name: 'Ada Lovelace' }, { fields: ['full_name'], snippet: null });
    const { user, searches } = setup(async (q) => {
      if (q === 'ad') {
        await new Promise<void>((resolve) => (releaseSlow = resolve));
        slowAnswered();
        return found([older]);
      }
      return found([newer]);
    });
    await screen.findByRole('table');
    await user.type(box(), 'ad');
    await waitFor(() => expect(searches()).toHaveLength(1));
    await user.type(box(), 'a lov');
    expect(await screen.findByRole('link', { name: 'Ada Lovelace' })).toBeInTheDocument();
    expect(searches().at(-1)!.url.searchParams.get('q')).toBe('ada lov');

    releaseSlow();
    await slowDone;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.getByRole('link', { name: 'Ada Lovelace' })).toBeInTheDocument();
    expect(screen.queryByText('Old Answer')).toBeNull();
    expect(screen.getByText('Page 1: results 1 to 1 for “ada lov”.')).toBeInTheDocument();
  });

  it('keeps the source filter, and says what was searched when nothing matches', async () => {
    const { user, searches, router } = setup(() => found([]));
    await screen.findByRole('table');
    await user.selectOptions(screen.getByLabelText('Source'), 'partner');
    await user.type(box(), 'zebra{Enter}');
    expect(await screen.findByText('No professional matches “zebra” with source partner.')).toBeInTheDocument();
    expect(screen.getByText(/Every word typed must match/)).toHaveTextContent('or search all sources');
    const params = searches().at(-1)!.url.searchParams;
    expect(params.get('source')).toBe('partner');
    expect(params.get('q')).toBe('zebra');
    expect(params.has('email') || params.has('phone')).toBe(false);
    expect(new URLSearchParams(router.state.location.search).get('source')).toBe('partner');
  });

  it('pages through next_cursor with the same search', async () => {
    const second = hit({ full_name: 'Second Page' }, { fields: ['job_title'], snippet: null });
    const { user, searches } = setup((_q, { url }) =>
      url.searchParams.get('cursor') === 's2' ? found([second]) : found([jose], 's2'),
    );
    await user.type(await screen.findByRole('searchbox', { name: 'Search professionals' }), 'jose{Enter}');
    await screen.findByRole('link', { name: 'José Núñez' });
    await user.click(screen.getByRole('button', { name: 'Next →' }));
    expect(await screen.findByText('Page 2: results 26 to 26 for “jose”.')).toBeInTheDocument();
    expect(screen.getByRole('listitem')).toHaveTextContent('Matched in: Title');
    const params = searches().at(-1)!.url.searchParams;
    expect([params.get('q'), params.get('cursor')]).toEqual(['jose', 's2']);
  });

  it('asks for more than one letter without asking the server, and shows the server’s hint as a hint', async () => {
    const { user, searches } = setup(() =>
      apiError(400, 'bad_request', 'q must be 1 to 200 characters.', { fields: { q: ['From 1 to 200 characters.'] } }),
    );
    await screen.findByRole('table');
    await user.type(box(), 'a');
    expect(await screen.findByRole('status')).toHaveTextContent('Nothing was searched.Type at least one word of two or more letters or digits.');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(searches()).toHaveLength(0);

    await user.type(box(), 'b{Enter}');
    const hint = await screen.findByText('From 1 to 200 characters.');
    expect(hint.closest('[role="status"]')).toHaveTextContent('Nothing was searched.');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows any other failure with the message of the error envelope', async () => {
    const { user } = setup(() => apiError(503, 'unavailable', 'The search index is rebuilding.'));
    await screen.findByRole('table');
    await user.type(box(), 'jose{Enter}');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The search failed.');
    expect(alert).toHaveTextContent('The search index is rebuilding.');
  });

  it('returns to the newest-first list when the box is cleared, and back restores the search', async () => {
    const { user, router } = setup(() => found([jose]), '/staff?q=jose');
    expect(await screen.findByRole('link', { name: 'José Núñez' })).toBeInTheDocument();
    expect(box()).toHaveValue('jose');

    await user.click(box());
    await user.keyboard('{Escape}');
    expect(await screen.findByRole('table', { name: 'Professionals, page 1' })).toBeInTheDocument();
    expect(box()).toHaveValue('');
    expect(router.state.location.search).toBe('');

    await act(() => router.navigate(-1));
    expect(await screen.findByRole('link', { name: 'José Núñez' })).toBeInTheDocument();
    await waitFor(() => expect(box()).toHaveValue('jose'));
  });

  it('works from the keyboard alone: Tab to the box, type, Enter, Tab to a result, Enter opens it', async () => {
    const { user, router } = setup(() => found([jose]));
    await screen.findByRole('table');
    await user.tab();
    expect(box()).toHaveFocus();
    await user.keyboard('josé{Enter}');
    await screen.findByRole('link', { name: 'José Núñez' });
    await user.tab(); // the Search button
    await user.tab(); // Clear search
    expect(screen.getByRole('button', { name: 'Clear search' })).toHaveFocus();
    // Past the filters and the look-up to the first result.
    for (let i = 0; i < 10 && document.activeElement?.textContent !== 'José Núñez'; i++) await user.tab();
    expect(screen.getByRole('link', { name: 'José Núñez' })).toHaveFocus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(router.state.location.pathname).toBe(`/staff/professionals/${jose.id}`));
  });

  it('leads from a result to its detail and back to the same search', async () => {
    mockApi([
      ['GET', `/api/professionals/${jose.id}`, () => ({ status: 200, body: { ...jose, match: undefined, resume_text: null } })],
      ['GET', '/api/professionals', () => found([jose])],
    ]);
    const { router } = renderApp(
      [
        { path: '/staff', element: <StaffKeyGate><ProfessionalsList /></StaffKeyGate> },
        { path: '/staff/professionals/:id', element: <StaffKeyGate><ProfessionalDetail id={jose.id} /></StaffKeyGate> },
      ],
      { path: '/staff?q=jose&source=direct', staffKey: 'k' },
    );
    const user = userEvent.setup();
    await user.click(await screen.findByRole('link', { name: 'José Núñez' }));
    await user.click(await screen.findByRole('link', { name: '← Back to the search' }));
    await waitFor(() => expect(router.state.location.search).toBe('?q=jose&source=direct'));
    expect(await screen.findByRole('link', { name: 'José Núñez' })).toBeInTheDocument();
    expect(box()).toHaveValue('jose');
  });

  it('looks a person up by email apart from search', async () => {
    const { user, calls, router } = setup(() => found([jose]), '/staff?q=jose');
    await screen.findByRole('link', { name: 'José Núñez' });
    await user.type(screen.getByLabelText('Find by email or phone'), 'listed@example.com');
    await user.click(screen.getByRole('button', { name: 'Find' }));
    await waitFor(() => expect(router.state.location.search).toBe('?lookup=listed%40example.com'));
    expect(box()).toHaveValue('');
    await screen.findByRole('table');
    const params = calls.at(-1)!.url.searchParams;
    expect([params.get('email'), params.get('q')]).toEqual(['listed@example.com', null]);
  });
});
