import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { MeRoute } from '@/app/routes/me';
import { apiError, mockApi } from '@/testing/fetch-mock';
import { makeProfessional, makeResume } from '@/testing/fixtures';
import { renderApp } from '@/testing/render';

import { OWN_SESSION_STORAGE } from '../lib/own-session';

const ada = {
  ...makeProfessional({
    id: 'ada',
    full_name: 'Ada Lovelace',
    email: 'ada@example.com',
    phone: '+14155550123',
    resume: makeResume({ pages: 3 }),
    email_verified: true,
    consent: { version: '2026-12-02', accepted_at: '2026-12-02T07:00:00.000Z' },
  }),
  resume_text: 'Notes on the analytical engine',
};

type Routes = Parameters<typeof mockApi>[0];

function setup(path: string, routes: Routes = []) {
  const api = mockApi([
    ...routes,
    ['POST', '/api/sessions', ({ body }) =>
      (body as { token: string }).token === 'email-token'
        ? { status: 200, body: { access_token: 'access-token', professional: ada } }
        : apiError(400, 'bad_request', 'This link is not valid.')],
    ['GET', '/api/professionals/ada', () => ({ status: 200, body: ada })],
  ]);
  const view = renderApp([{ path: '/me', element: <MeRoute /> }, { path: '/', element: <p>sign-up page</p> }], { path });
  return { ...api, ...view, user: userEvent.setup() };
}

const details = async () => within(await screen.findByTestId('own-details'));

describe('/me', () => {
  it('takes the token out of the address at once, exchanges it, and shows the record', async () => {
    const { router, calls } = setup('/me?token=email-token');
    await waitFor(() => expect(router.state.location.search).toBe(''));
    expect(router.state.location.pathname).toBe('/me');
    expect(router.state.historyAction).toBe('REPLACE');

    const shown = await details();
    expect(shown.getByText('ada@example.com')).toBeInTheDocument();
    expect(shown.getByText('(confirmed)')).toBeInTheDocument();
    expect(shown.getByText('Ready (3 pages, 2 KB)')).toBeInTheDocument();
    expect(shown.getByText(/^Version 2026-12-02, accepted /)).toBeInTheDocument();
    expect(calls.filter((c) => c.url.pathname === '/api/sessions')).toHaveLength(1);
    expect(calls[0].body).toEqual({ token: 'email-token' });
    const get = await waitFor(() => calls.find((c) => c.method === 'GET')!);
    expect(get.headers.get('Authorization')).toBe('Bearer access-token');
    // Only the access token is kept, for a reload; the emailed token is not.
    expect(JSON.parse(sessionStorage.getItem(OWN_SESSION_STORAGE)!)).toEqual({ id: 'ada', token: 'access-token' });
    expect(JSON.stringify(sessionStorage)).not.toContain('email-token');
    expect(screen.getByLabelText('Replace your resume')).toBeInTheDocument();
  });

  it('says plainly when a link opens nothing, and offers a new one', async () => {
    setup('/me?token=forged');
    expect(await screen.findByRole('heading', { name: 'This link does not open anything' })).toHaveFocus();
    expect(screen.getByText(/It may have expired \(links work for 7 days\)/)).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Lost your link?' })).toBeInTheDocument();
    expect(sessionStorage.getItem(OWN_SESSION_STORAGE)).toBeNull();
  });

  it('opens from the kept session on a reload, and says so when it has ended (401)', async () => {
    sessionStorage.setItem(OWN_SESSION_STORAGE, JSON.stringify({ id: 'ada', token: 'expired' }));
    setup('/me', [['GET', '/api/professionals/ada', () => apiError(401, 'unauthorized', 'Expired.')]]);
    expect(await screen.findByRole('heading', { name: 'Your session has ended' })).toBeInTheDocument();
    expect(screen.getByText(/or your details were\s+deleted/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Send me a link' })).toBeInTheDocument();
    expect(sessionStorage.getItem(OWN_SESSION_STORAGE)).toBeNull();
  });

  it('without a link or a session: the lost-link form', async () => {
    const { fetchMock } = setup('/me');
    expect(await screen.findByText(/open the link we emailed you/)).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Lost your link?' })).toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('edits: only the changed fields; a new email is announced as needing confirmation', async () => {
    let patched: Record<string, unknown> = {};
    const { user, calls } = setup('/me?token=email-token', [
      ['PATCH', '/api/professionals/ada', ({ body }) => {
        patched = body as Record<string, unknown>;
        return { status: 200, body: { ...ada, ...patched, email_verified: false } };
      }],
    ]);
    await details();
    await user.click(screen.getByRole('button', { name: 'Edit your details' }));
    const form = within(screen.getByRole('form', { name: 'Edit your details' }));
    await user.clear(form.getByLabelText(/^Phone/));
    await user.clear(form.getByLabelText('Email'));
    await user.type(form.getByLabelText('Email'), 'ada@new.example.com');
    await user.click(form.getByRole('button', { name: 'Save changes' }));

    expect(await screen.findByText(/We sent a link to ada@new\.example\.com to confirm the new address/)).toBeInTheDocument();
    expect(patched).toEqual({ email: 'ada@new.example.com', phone: null });
    expect(calls.find((c) => c.method === 'PATCH')!.headers.get('Authorization')).toBe('Bearer access-token');
    const shown = await details();
    expect(shown.getByText('ada@new.example.com')).toBeInTheDocument();
    expect(shown.getByText(/not confirmed yet/)).toBeInTheDocument();
  });

  it("says what phone format it wants, beside the server's message", async () => {
    const { user } = setup('/me?token=email-token', [
      ['PATCH', '/api/professionals/ada', () => apiError(400, 'validation_error', 'Invalid.', { fields: { phone: ['Not a valid phone number.'] } })],
    ]);
    await details();
    await user.click(screen.getByRole('button', { name: 'Edit your details' }));
    const form = within(screen.getByRole('form', { name: 'Edit your details' }));
    const phone = form.getByLabelText(/^Phone/);
    expect(phone).toHaveAccessibleDescription(/^Any format; include the country code if outside the US/);
    await user.clear(phone);
    await user.type(phone, 'abc');
    await user.click(form.getByRole('button', { name: 'Save changes' }));
    expect(await form.findByText('Enter a phone number, for example +1 415 555 0123.')).toBeInTheDocument();
    await user.clear(phone);
    await user.type(phone, '+1 555 0000');
    await user.click(form.getByRole('button', { name: 'Save changes' }));
    expect(await form.findByText('Not a valid phone number.')).toBeInTheDocument();
    expect(phone).toHaveAccessibleDescription(/Any format; include the country code if outside the US, e\.g\. \+44 20 7946 0958\. Not a valid phone number\./);
  });

  it('will not clear the email, and names a taken one', async () => {
    const { user, fetchMock } = setup('/me?token=email-token', [
      ['PATCH', '/api/professionals/ada', () => apiError(409, 'conflict', 'Taken.', { conflicts: [{ field: 'email' }] })],
    ]);
    await details();
    await user.click(screen.getByRole('button', { name: 'Edit your details' }));
    const form = within(screen.getByRole('form', { name: 'Edit your details' }));
    await user.clear(form.getByLabelText('Email'));
    await user.click(form.getByRole('button', { name: 'Save changes' }));
    expect(await form.findByText('Enter your email address: it cannot be removed, only changed.')).toBeInTheDocument();
    expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'PATCH')).toBe(false);

    await user.type(form.getByLabelText('Email'), 'grace@example.com');
    await user.click(form.getByRole('button', { name: 'Save changes' }));
    expect(await form.findByText('This email address is already registered to someone else.')).toBeInTheDocument();
  });

  it('downloads everything shown as JSON, built in the browser', async () => {
    const blobs: Blob[] = [];
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: (blob: Blob) => (blobs.push(blob), 'blob:x'), revokeObjectURL: () => {} }));
    const { user } = setup('/me?token=email-token');
    await details();
    await waitFor(() => expect(screen.queryByText('Loading your details…')).toBeNull());
    await user.click(screen.getByRole('button', { name: 'Download your data (JSON)' }));
    expect(blobs).toHaveLength(1);
    expect(blobs[0].type).toBe('application/json');
    expect(JSON.parse(await blobs[0].text())).toEqual(ada);
  });

  it('erases only after a confirmation, then says the data was erased and forgets the session', async () => {
    let erased = false;
    const { user, calls } = setup('/me?token=email-token', [
      ['DELETE', '/api/professionals/ada', () => {
        erased = true;
        return { status: 204 };
      }],
    ]);
    await details();
    await user.click(screen.getByRole('button', { name: 'Delete all your data' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete all your data?' });
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(erased).toBe(false);

    await user.click(screen.getByRole('button', { name: 'Delete all your data' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Delete everything' }));
    expect(await screen.findByRole('heading', { name: 'Your data was erased.' })).toHaveFocus();
    expect(erased).toBe(true);
    expect(calls.find((c) => c.method === 'DELETE')!.headers.get('Authorization')).toBe('Bearer access-token');
    expect(sessionStorage.getItem(OWN_SESSION_STORAGE)).toBeNull();
  });
});
