import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import type { Role } from '@/lib/staff-auth';
import { apiError, mockApi } from '@/testing/fetch-mock';
import { makeProfessional, makeResume } from '@/testing/fixtures';
import { renderApp } from '@/testing/render';

import { ProfessionalDetail } from './professional-detail';

const ada = {
  ...makeProfessional({ id: 'ada', full_name: 'Ada Lovelace', email: 'ada@example.com', resume: makeResume({ pages: 4, text_truncated: true }) }),
  resume_text: 'Notes on the analytical engine',
};

const NO_HISTORY = ['GET', '/api/professionals/ada/history', () => ({ status: 200, body: { items: [], next_cursor: null } })] as const;
const NO_SIMILAR = ['GET', '/api/professionals/ada/similar', () => ({ status: 200, body: { items: [] } })] as const;

function setup(extra: Parameters<typeof mockApi>[0] = [], role: Role = 'editor') {
  const api = mockApi([...extra, ['GET', '/api/professionals/ada', () => ({ status: 200, body: ada })], [...NO_HISTORY], [...NO_SIMILAR]]);
  const view = renderApp(
    [
      { path: '/staff', element: <p>list</p> },
      { path: '/staff/professionals/:id', element: <ProfessionalDetail id="ada" /> },
    ],
    { path: '/staff/professionals/ada', staff: { token: 'k', role } },
  );
  return { ...api, ...view, user: userEvent.setup() };
}

describe('ProfessionalDetail', () => {
  it('shows the details and the extracted resume text', async () => {
    setup();
    expect(await screen.findByRole('heading', { name: 'Ada Lovelace', level: 1 })).toHaveFocus();
    expect(screen.getByText('ada@example.com')).toBeInTheDocument();
    expect(screen.getByTestId('resume-text')).toHaveTextContent('Notes on the analytical engine');
    expect(screen.getByText(/cut at 100,000 characters/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Download PDF' })).toBeInTheDocument();
  });

  it('says whether the email is verified, and which privacy notice was accepted', async () => {
    setup();
    const details = within(await screen.findByRole('region', { name: 'Details' }));
    expect(details.getByText('(not verified)')).toBeInTheDocument();
    expect(details.queryByText('verified')).not.toBeInTheDocument();
    expect(details.getByText('Not recorded')).toBeInTheDocument();
  });

  it('shows the verified badge and the consent of a confirmed sign-up', async () => {
    const confirmed = { ...ada, email_verified: true, consent: { version: '2026-12-02', accepted_at: '2026-12-02T07:00:00.000Z' } };
    mockApi([['GET', '/api/professionals/ada', () => ({ status: 200, body: confirmed })]]);
    renderApp([{ path: '/staff/professionals/:id', element: <ProfessionalDetail id="ada" /> }], {
      path: '/staff/professionals/ada',
      staff: { token: 'k' },
    });
    const details = within(await screen.findByRole('region', { name: 'Details' }));
    expect(details.getByText('verified')).toHaveAttribute('title', 'The person opened a link mailed to this address');
    expect(details.queryByText('(not verified)')).not.toBeInTheDocument();
    expect(details.getByText(/^Version 2026-12-02, accepted /)).toBeInTheDocument();
  });

  it('downloads through a fresh presigned link', async () => {
    const assign = vi.fn();
    vi.stubGlobal('location', { ...window.location, assign });
    const { user } = setup([['GET', '/api/professionals/ada/resume', () => ({ status: 200, body: { url: 'http://s3/get', expires_at: '' } })]]);
    await user.click(await screen.findByRole('button', { name: 'Download PDF' }));
    expect(await screen.findByText('Your download has started.')).toBeInTheDocument();
    expect(assign).toHaveBeenCalledWith('http://s3/get');
  });

  it('saves only the changed fields, and shows a conflict next to its field', async () => {
    let attempts = 0;
    const { user, calls } = setup([
      ['PATCH', '/api/professionals/ada', ({ body }) => {
        attempts += 1;
        return attempts === 1
          ? apiError(409, 'conflict', 'The email is already registered.', { conflicts: [{ field: 'email', id: 'other' }] })
          : { status: 200, body: { ...ada, ...(body as object) } };
      }],
    ]);
    await user.click(await screen.findByRole('button', { name: 'Edit' }));
    const email = screen.getByLabelText('Email');
    await user.clear(email);
    await user.type(email, 'taken@example.com');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText('Already used by another professional.')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Open the professional with this email/ })).toHaveAttribute('href', '/staff/professionals/other');
    expect(calls.find((c) => c.method === 'PATCH')!.body).toEqual({ email: 'taken@example.com' });

    await user.clear(email);
    await user.type(email, 'ada@example.com');
    await user.type(screen.getByLabelText(/Job title/), 'Countess');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText('Changes saved.')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'PATCH').at(-1)!.body).toEqual({ job_title: 'Countess' });
  });

  it('deletes only after confirmation', async () => {
    const { user, calls, router } = setup([['DELETE', '/api/professionals/ada', () => ({ status: 204 })]]);
    await user.click(await screen.findByRole('button', { name: 'Delete' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete Ada Lovelace?' });
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);

    await user.click(screen.getByRole('button', { name: 'Delete' }));
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete permanently' }));
    expect(await screen.findByText('list')).toBeInTheDocument();
    expect(calls.some((c) => c.method === 'DELETE')).toBe(true);
    expect(router.state.location.state).toEqual({ flash: 'Ada Lovelace was deleted.' });
  });

  it('shows a viewer no edit or delete control, and the history and similar professionals', async () => {
    const { calls } = setup([], 'viewer');
    expect(await screen.findByRole('heading', { name: 'Ada Lovelace', level: 1 })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Edit' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Delete' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Download PDF' })).toBeInTheDocument();
    expect(await screen.findByText('No changes recorded yet.')).toBeInTheDocument();
    const similar = screen.getByRole('region', { name: 'Similar professionals' });
    expect(await within(similar).findByText('No similar professionals yet')).toBeInTheDocument();
    expect(calls.filter((c) => c.url.pathname === '/api/professionals/ada/similar')).toHaveLength(1);
  });

  it("shows the API's message when it refuses a write (403), without signing out", async () => {
    const { user, staffClient } = setup([
      ['PATCH', '/api/professionals/ada', () => apiError(403, 'forbidden', 'Viewers cannot change records.')],
    ]);
    await user.click(await screen.findByRole('button', { name: 'Edit' }));
    await user.type(screen.getByLabelText(/Job title/), 'Countess');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText('Viewers cannot change records.')).toBeInTheDocument();
    expect(staffClient.signOut).not.toHaveBeenCalled();
  });

  it("shows an admin a deleted record's history, its values removed", async () => {
    mockApi([
      ['GET', '/api/professionals/ada', () => apiError(404, 'not_found', 'No professional.')],
      ['GET', '/api/professionals/ada/history', () => ({
        status: 200,
        body: {
          items: [
            { at: '2026-12-07T10:00:00Z', action: 'deleted', actor: { kind: 'staff', name: 'boss@example.com' }, via: 'api', changes: { full_name: { from: null, to: null } } },
          ],
          next_cursor: null,
        },
      })],
    ]);
    renderApp([{ path: '*', element: <ProfessionalDetail id="ada" /> }], { staff: { role: 'admin' } });
    expect(await screen.findByText('This professional does not exist, or was deleted.')).toBeInTheDocument();
    const history = await screen.findByRole('region', { name: 'History' });
    expect(await within(history).findByText('boss@example.com')).toBeInTheDocument();
    expect(within(history).getAllByText('(removed)')).toHaveLength(2);
  });

  it('says so when the professional does not exist', async () => {
    mockApi([['GET', '/api/professionals/ada', () => apiError(404, 'not_found', 'No professional.')]]);
    renderApp([{ path: '*', element: <ProfessionalDetail id="ada" /> }], { staff: { token: 'k' } });
    expect(await screen.findByText('This professional does not exist, or was deleted.')).toBeInTheDocument();
  });
});
