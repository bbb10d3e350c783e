import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { StaffSignInGate } from '@/features/staff-session/components/staff-sign-in-gate';
import { apiError, mockApi } from '@/testing/fetch-mock';
import { makeProfessional, makeResume } from '@/testing/fixtures';
import { renderApp } from '@/testing/render';

import { ProfessionalsList } from './professionals-list';
import { TABLE_MARKS } from './professionals-table';

const page1 = Array.from({ length: 25 }, (_, i) => makeProfessional({ full_name: `First ${i + 1}`, email_verified: i === 0 }));
const page2 = [makeProfessional({ full_name: 'Second 1', source: 'partner', resume: makeResume({ status: 'rejected', reason: 'not_pdf' }) })];

function setup(extra: Parameters<typeof mockApi>[0] = [], path = '/staff') {
  const api = mockApi([
    ...extra,
    ['GET', '/api/professionals', ({ url }) => {
      const cursor = url.searchParams.get('cursor');
      if (url.searchParams.get('source') === 'partner') return { status: 200, body: { items: page2, next_cursor: null } };
      return cursor === 'c2'
        ? { status: 200, body: { items: page2, next_cursor: null } }
        : { status: 200, body: { items: page1, next_cursor: 'c2' } };
    }],
  ]);
  const view = renderApp(
    [{ path: '/staff', element: <StaffSignInGate><ProfessionalsList /></StaffSignInGate> }, { path: '/staff/professionals/:id', element: <p>detail</p> }],
    { path, staff: { token: 'k' } },
  );
  return { ...api, ...view, user: userEvent.setup() };
}

describe('ProfessionalsList', () => {
  it('shows a page, then the next through next_cursor, and back', async () => {
    const { user, calls } = setup();
    const table = await screen.findByRole('table', { name: 'Professionals, page 1' });
    expect(within(table).getAllByRole('row')).toHaveLength(26);
    expect(within(table).getByRole('columnheader', { name: 'Resume' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: '← Previous' })).toBeDisabled();
    expect(calls[0].url.searchParams.get('limit')).toBe('25');
    expect(calls[0].headers.get('Authorization')).toBe('Bearer k');

    await user.click(screen.getByRole('button', { name: 'Next →' }));
    expect(await screen.findByText('Page 2: professionals 26 to 26.')).toBeInTheDocument();
    expect(calls.at(-1)!.url.searchParams.get('cursor')).toBe('c2');
    expect(screen.getByRole('row', { name: /Second 1/ })).toHaveTextContent('Rejected');
    expect(screen.getByRole('button', { name: 'Next →' })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: '← Previous' }));
    expect(await screen.findByText('Page 1: professionals 1 to 25.')).toBeInTheDocument();
  });

  it('keeps the page in the URL: a reload opens it, back and forward move between pages', async () => {
    const { user, router } = setup();
    await screen.findByRole('table', { name: 'Professionals, page 1' });
    await user.click(screen.getByRole('button', { name: 'Next →' }));
    await screen.findByText('Page 2: professionals 26 to 26.');
    expect(router.state.location.search).toBe('?cursor=c2');
    await act(() => router.navigate(-1));
    expect(await screen.findByText('Page 1: professionals 1 to 25.')).toBeInTheDocument();
    await act(() => router.navigate(1));
    expect(await screen.findByText('Page 2: professionals 26 to 26.')).toBeInTheDocument();
  });

  it('opens the page a URL names', async () => {
    const { calls } = setup([], '/staff?cursor=c2');
    expect(await screen.findByRole('table', { name: 'Professionals, page 2' })).toBeInTheDocument();
    expect(screen.getByText('Page 2: professionals 26 to 26.')).toBeInTheDocument();
    expect(calls).toHaveLength(1);
    expect(calls[0].url.searchParams.get('cursor')).toBe('c2');
    expect(screen.getByRole('button', { name: '← Previous' })).toBeEnabled();
  });

  it('lets an email wrap only before its @ and after a dot, and never a phone number', async () => {
    mockApi([['GET', '/api/professionals', () => ({ status: 200, body: { items: [makeProfessional({ full_name: 'Long', email: 'first.last@mail.example.com', phone: '+14155550123' })], next_cursor: null } })]]);
    renderApp([{ path: '/staff', element: <StaffSignInGate><ProfessionalsList /></StaffSignInGate> }], { path: '/staff', staff: { token: 'k' } });
    const row = await screen.findByRole('row', { name: /^Long / });
    const [email, phone] = within(row).getAllByRole('cell');
    expect(email).toHaveTextContent('first.last@mail.example.com');
    expect(email.innerHTML).toBe('first.<wbr>last<wbr>@mail.<wbr>example.<wbr>com');
    expect(phone).toHaveTextContent('+14155550123');
    expect(phone).toHaveClass('whitespace-nowrap');
  });

  it('marks the emails their owners verified', async () => {
    setup();
    const table = await screen.findByRole('table', { name: 'Professionals, page 1' });
    const cells = (name: string) => within(within(table).getByRole('row', { name: new RegExp(`^${name} `) })).getAllByRole('cell');
    expect(cells('First 1')[0]).toHaveTextContent(/^person\d+@example\.comverified$/);
    expect(cells('First 2')[0]).not.toHaveTextContent('verified');
  });

  it('filters by source in the URL, starting again from the first page', async () => {
    const { user, calls, router } = setup();
    await screen.findByRole('table');
    await user.click(screen.getByRole('button', { name: 'Next →' }));
    await screen.findByText('Page 2: professionals 26 to 26.');
    await user.selectOptions(screen.getByLabelText('Source'), 'partner');
    expect(await screen.findByText('Page 1: professionals 1 to 1, source partner.')).toBeInTheDocument();
    expect(router.state.location.search).toBe('?source=partner');
    const last = calls.at(-1)!.url.searchParams;
    expect(last.get('source')).toBe('partner');
    expect(last.get('cursor')).toBeNull();
  });

  it('records performance marks for the render budget', async () => {
    const measure = vi.spyOn(performance, 'measure');
    setup();
    await screen.findByRole('table');
    expect(measure).toHaveBeenCalledWith(TABLE_MARKS.render, expect.objectContaining({ detail: { rows: 25 } }));
  });

  it('opens the detail with a plain click on a name', async () => {
    const { user, router } = setup();
    await user.click(await screen.findByRole('link', { name: 'First 1' }));
    expect(router.state.location.pathname).toBe(`/staff/professionals/${page1[0].id}`);
  });

  it('asks to sign in again when the session stops working (a 401 even after a refresh)', async () => {
    const { calls } = mockApi([['GET', '/api/professionals', () => apiError(401, 'unauthorized', 'Revoked.')]]);
    const { staffClient } = renderApp([{ path: '/staff', element: <StaffSignInGate><ProfessionalsList /></StaffSignInGate> }], { path: '/staff', staff: { token: 'revoked' } });
    expect(await screen.findByLabelText('Email')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('Your session has ended. Sign in again.');
    expect(calls).toHaveLength(2);
    expect(staffClient.accessToken).toHaveBeenLastCalledWith({ forceRefresh: true });
    expect(staffClient.signOut).toHaveBeenCalled();
  });
});
