import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { StaffSignInGate } from '@/features/staff-session/components/staff-sign-in-gate';
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
      { path: '/staff', element: <StaffSignInGate><ProfessionalsList /></StaffSignInGate> },
      { path: '/staff/professionals/:id', element: <p>detail</p> },
    ],
    { path, staff: { token: 'k' } },
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
    expect(searches()[0].headers.get('Authorization')).toBe('Bearer k');
    expect(router.state.location.search).toBe('?q=jose');
    expect(screen.getByText('Page 1: 1 result for “jose”.')).toBeInTheDocument();

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
    expect(screen.getByText('Page 1: 1 result for “ada lov”.')).toBeInTheDocument();
  });

  it('keeps the source filter, and says what was searched when nothing matches', async () => {
    const { user, searches, router } = setup(() => found([]));
    await screen.findByRole('table');
    await user.selectOptions(screen.getByLabelText('Source'), 'partner');
    await user.type(box(), 'zebra{Enter}');
    expect(await screen.findByText('No professional matches “zebra” with source partner.')).toBeInTheDocument();
    expect(screen.getByText(/Every word typed must match/)).toHaveTextContent('or search with fewer filters');
    const params = searches().at(-1)!.url.searchParams;
    expect(params.get('source')).toBe('partner');
    expect(params.get('q')).toBe('zebra');
    expect(params.has('email') || params.has('phone')).toBe(false);
    expect(new URLSearchParams(router.state.location.search).get('source')).toBe('partner');
  });

  it('pages through next_cursor with the same search, the page kept in the URL for reload and back', async () => {
    const second = hit({ full_name: 'Second Page' }, { fields: ['job_title'], snippet: null });
    const { user, searches, router } = setup((_q, { url }) =>
      url.searchParams.get('cursor') === 's2' ? found([second]) : found([jose], 's2'),
    );
    await user.type(await screen.findByRole('searchbox', { name: 'Search professionals' }), 'jose{Enter}');
    await screen.findByRole('link', { name: 'José Núñez' });
    await user.click(screen.getByRole('button', { name: 'Next →' }));
    expect(await screen.findByText('Page 2: 1 result for “jose”.')).toBeInTheDocument();
    expect(screen.getByRole('listitem')).toHaveTextContent('Matched in: Title');
    const params = searches().at(-1)!.url.searchParams;
    expect([params.get('q'), params.get('cursor')]).toEqual(['jose', 's2']);
    expect(router.state.location.search).toBe('?q=jose&cursor=s2');

    await act(() => router.navigate(-1));
    expect(await screen.findByText('Page 1: 1 result for “jose”.')).toBeInTheDocument();
    await act(() => router.navigate(1));
    expect(await screen.findByText('Page 2: 1 result for “jose”.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: '← Previous' }));
    expect(await screen.findByRole('link', { name: 'José Núñez' })).toBeInTheDocument();
    expect(router.state.location.search).toBe('?q=jose');
  });

  it('opens the page a URL names, and offers the first page when its cursor is refused', async () => {
    const second = hit({ full_name: 'Second Page' }, { fields: ['job_title'], snippet: null });
    const { user, searches, router } = setup((_q, { url }) => {
      const cursor = url.searchParams.get('cursor');
      if (cursor === 'old') return apiError(400, 'bad_request', 'The cursor belongs to another request; start again without it.');
      return cursor === 's3' ? found([second]) : found([jose], 's2');
    }, '/staff?q=jose&cursor=s2&cursor=s3');
    expect(await screen.findByText('Page 3: 1 result for “jose”.')).toBeInTheDocument();
    expect(searches()).toHaveLength(1);
    expect(searches()[0].url.searchParams.get('cursor')).toBe('s3');
    await user.click(screen.getByRole('button', { name: '← Previous' }));
    await waitFor(() => expect(router.state.location.search).toBe('?q=jose&cursor=s2'));

    await act(() => router.navigate('/staff?q=jose&cursor=old'));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('This page cannot be shown any more.');
    await user.click(within(alert).getByRole('button', { name: 'Go to the first page' }));
    expect(await screen.findByText('Page 1: 1 result for “jose”.')).toBeInTheDocument();
    expect(router.state.location.search).toBe('?q=jose');
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
        { path: '/staff', element: <StaffSignInGate><ProfessionalsList /></StaffSignInGate> },
        { path: '/staff/professionals/:id', element: <StaffSignInGate><ProfessionalDetail id={jose.id} /></StaffSignInGate> },
      ],
      { path: '/staff?q=jose&source=direct', staff: { token: 'k' } },
    );
    const user = userEvent.setup();
    await user.click(await screen.findByRole('link', { name: 'José Núñez' }));
    await user.click(await screen.findByRole('link', { name: '← Back to the search' }));
    await waitFor(() => expect(router.state.location.search).toBe('?q=jose&source=direct'));
    expect(await screen.findByRole('link', { name: 'José Núñez' })).toBeInTheDocument();
    expect(box()).toHaveValue('jose');
  });

  it('sends a phone number typed with brackets and spaces, or a whole email, as the search, and marks the phone', async () => {
    const owner = hit({ full_name: 'Phone Owner', phone: '+14048316195', email: 'owner@example.com' }, { fields: ['phone'], snippet: null });
    const { user, searches, router } = setup(() => found([owner]));
    await screen.findByRole('table');
    expect(screen.queryByLabelText('Find by email or phone')).toBeNull(); // one box for everything
    await user.type(box(), '(404) 831-6195{Enter}');
    const result = await screen.findByRole('listitem');
    expect(searches().at(-1)!.url.searchParams.get('q')).toBe('(404) 831-6195');
    expect(new URLSearchParams(router.state.location.search).get('q')).toBe('(404) 831-6195');
    expect(result).toHaveTextContent('Matched in: Phone');
    expect([...result.querySelectorAll('mark')].map((mark) => mark.textContent)).toEqual(['4048316195']);

    await user.clear(box());
    await user.type(box(), 'Owner@Example.com{Enter}');
    await waitFor(() => expect(searches().at(-1)!.url.searchParams.get('q')).toBe('Owner@Example.com'));
    const params = searches().at(-1)!.url.searchParams;
    expect(params.has('email') || params.has('phone')).toBe(false);
  });

  it('reads an old look-up URL as a search', async () => {
    const { searches } = setup(() => found([jose]), '/staff?lookup=listed%40example.com');
    await screen.findByRole('link', { name: 'José Núñez' });
    expect(box()).toHaveValue('listed@example.com');
    expect(searches()[0].url.searchParams.get('q')).toBe('listed@example.com');
  });

  it('narrows a search with filters kept in the URL, offered only while searching', async () => {
    const { user, searches, router } = setup(() => found([jose]));
    await screen.findByRole('table');
    expect(screen.queryByRole('group', { name: 'Narrow the search' })).toBeNull();
    await user.type(box(), 'jose{Enter}');
    await screen.findByRole('link', { name: 'José Núñez' });
    const filters = screen.getByRole('group', { name: 'Narrow the search' });

    await user.selectOptions(within(filters).getByLabelText('Ready resume'), 'Yes');
    await user.selectOptions(within(filters).getByLabelText('Email verified'), 'No');
    fireEvent.change(within(filters).getByLabelText('Created from'), { target: { value: '2026-12-01' } });
    fireEvent.change(within(filters).getByLabelText('Created on or before'), { target: { value: '2026-12-31' } });
    expect(
      await screen.findByText(
        'Page 1: 1 result for “jose”, a ready resume, an unverified email, created from 2026-12-01, created on or before 2026-12-31.',
      ),
    ).toBeInTheDocument();
    const params = searches().at(-1)!.url.searchParams;
    expect(Object.fromEntries(params)).toEqual({
      limit: '25', q: 'jose', has_resume: 'true', email_verified: 'false', created_from: '2026-12-01', created_to: '2027-01-01',
    });
    expect(router.state.location.search).toBe(
      '?q=jose&has_resume=true&email_verified=false&created_from=2026-12-01&created_until=2026-12-31',
    );

    // A new search keeps them; Clear filters drops them; clearing the search drops them all.
    await user.type(box(), 'ada{Enter}', { initialSelectionStart: 0, initialSelectionEnd: 4 });
    await waitFor(() => expect(searches().at(-1)!.url.searchParams.get('q')).toBe('ada'));
    expect(searches().at(-1)!.url.searchParams.get('has_resume')).toBe('true');
    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(router.state.location.search).toBe('?q=ada'));
    await user.selectOptions(screen.getByLabelText('Ready resume'), 'No');
    await waitFor(() => expect(router.state.location.search).toBe('?q=ada&has_resume=false'));
    await user.click(screen.getByRole('button', { name: 'Clear search' }));
    await screen.findByRole('table');
    expect(router.state.location.search).toBe('');
    expect(screen.queryByLabelText('Ready resume')).toBeNull();
  });

  it('never sends filters without a search, nor malformed ones from a URL', async () => {
    const { calls } = setup(() => found([jose]), '/staff?has_resume=true&created_from=2026-12-01');
    await screen.findByRole('table');
    expect([...calls[0].url.searchParams.keys()]).toEqual(['limit']);
  });

  it('ignores a malformed filter in the URL and says which filter the server refused', async () => {
    const { searches } = setup(
      () => apiError(400, 'bad_request', 'Bad search filter: created_to.', { fields: { created_to: ['A timestamp or a date.'] } }),
      '/staff?q=jose&has_resume=maybe&created_from=2026-02-30',
    );
    const hint = await screen.findByText('Created on or before: A timestamp or a date.');
    expect(hint.closest('[role="status"]')).toHaveTextContent('Nothing was searched.');
    const params = searches()[0].url.searchParams;
    expect([params.has('has_resume'), params.has('created_from')]).toEqual([false, false]);
  });

  it('warns when the last day comes before the first', async () => {
    setup(() => found([]), '/staff?q=jose&created_from=2026-12-10&created_until=2026-12-01');
    expect(await screen.findByRole('alert')).toHaveTextContent('“Created on or before” is earlier than “Created from”');
  });

  it('offers the suggestion when nothing matches, as a search of its own', async () => {
    const { user, searches, router } = setup((q) => (q === 'jsoe' ? { status: 200, body: { items: [], next_cursor: null, suggestion: 'jose' } } : found([jose])));
    await screen.findByRole('table');
    await user.type(box(), 'jsoe{Enter}');
    const link = await screen.findByRole('link', { name: 'jose' });
    expect(link.closest('p')).toHaveTextContent('Did you mean jose?');
    await user.click(link);
    expect(await screen.findByRole('link', { name: 'José Núñez' })).toBeInTheDocument();
    expect(router.state.location.search).toBe('?q=jose');
    expect(box()).toHaveValue('jose');
    expect(searches().at(-1)!.url.searchParams.get('q')).toBe('jose');
  });

  it('shows no suggestion when the API sends none', async () => {
    const { user } = setup((q) => ({ status: 200, body: { items: [], next_cursor: null, suggestion: q === 'zz' ? null : undefined } }));
    await screen.findByRole('table');
    await user.type(box(), 'zz{Enter}');
    await screen.findByText('No professional matches “zz”.');
    expect(screen.queryByText(/Did you mean/)).toBeNull();
  });

  it('marks a result matched through a typo as a close match, and highlights snippets cut with ellipses', async () => {
    const close = hit({ full_name: 'Jose Close' }, { fields: ['full_name'], snippet: null, typo: true } as SearchMatch);
    const cut = hit({ full_name: 'Cut Snippet' }, { fields: ['resume'], snippet: '…years with Jose at Acme, then…' });
    setup(() => found([cut, close]), '/staff?q=jose');
    const [first, second] = await screen.findAllByRole('listitem');
    expect(within(second).getByText('close match')).toBeInTheDocument();
    expect(within(first).queryByText('close match')).toBeNull();
    expect(within(first).getByRole('blockquote')).toHaveTextContent('…years with Jose at Acme, then…');
    expect([...first.querySelectorAll('blockquote mark')].map((mark) => mark.textContent)).toEqual(['Jose']);
  });
});
