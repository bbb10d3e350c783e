import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import axe from 'axe-core';

import { StaffRoot } from '@/app/routes/staff/staff-root';
import { StaffAuthError } from '@/lib/staff-auth';
import { mockApi } from '@/testing/fetch-mock';
import { renderApp } from '@/testing/render';
import { fakeStaffClient } from '@/testing/staff-client';

function renderConsole(client = fakeStaffClient({ signedIn: false })) {
  const view = renderApp(
    [{ path: '/staff', element: <StaffRoot />, children: [{ index: true, element: <p>console</p> }] }],
    { path: '/staff', client },
  );
  return { ...view, client, user: userEvent.setup() };
}

async function fillCredentials(user: ReturnType<typeof userEvent.setup>, password = 'right') {
  await user.type(await screen.findByLabelText('Email'), 'ada@example.com');
  await user.type(screen.getByLabelText('Password'), password);
  await user.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('staff sign-in', () => {
  it('signs in with email and password, and shows the email and the role in the header', async () => {
    const { client, user } = renderConsole();
    expect(await screen.findByLabelText('Email')).toHaveFocus();
    expect(screen.getByLabelText('Password')).toHaveAttribute('type', 'password');
    expect(screen.queryByLabelText(/key/i)).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByText('Enter your email address.')).toBeInTheDocument();
    expect(screen.getByText('Enter your password.')).toBeInTheDocument();
    expect(client.signIn).not.toHaveBeenCalled();

    await fillCredentials(user, 'wrong');
    expect(await screen.findByRole('alert')).toHaveTextContent('Incorrect email or password.');
    expect(screen.getByLabelText('Password')).toHaveValue('');

    await user.type(screen.getByLabelText('Password'), 'right{Enter}');
    expect(await screen.findByText('console')).toBeInTheDocument();
    expect(client.signIn).toHaveBeenLastCalledWith('ada@example.com', 'right');
    const who = screen.getByTestId('staff-user');
    expect(who).toHaveTextContent('staff@example.com');
    expect(who).toHaveTextContent('Editor');
    expect(screen.getByRole('link', { name: 'Bulk import' })).toBeInTheDocument();
  });

  it('asks a first sign-in for a new password, checking the two match', async () => {
    const client = fakeStaffClient({ signedIn: false });
    client.signIn.mockResolvedValueOnce({ step: 'new_password' });
    const { user } = renderConsole(client);
    await fillCredentials(user);

    expect(await screen.findByRole('heading', { name: 'Choose a new password' })).toBeInTheDocument();
    expect(screen.getByLabelText('New password')).toHaveFocus();
    expect(screen.getByLabelText('New password')).toHaveAttribute('autocomplete', 'new-password');
    await user.type(screen.getByLabelText('New password'), 'N3w-password!');
    await user.type(screen.getByLabelText('Repeat the new password'), 'N3w-passw0rd!');
    await user.click(screen.getByRole('button', { name: 'Set the password and sign in' }));
    expect(screen.getByText('The two passwords differ.')).toBeInTheDocument();
    expect(client.completeNewPassword).not.toHaveBeenCalled();

    client.completeNewPassword.mockRejectedValueOnce(
      new StaffAuthError('InvalidPasswordException', 'Password does not conform to policy: Password must have symbol characters'),
    );
    await user.clear(screen.getByLabelText('Repeat the new password'));
    await user.type(screen.getByLabelText('Repeat the new password'), 'N3w-password!');
    await user.click(screen.getByRole('button', { name: 'Set the password and sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Password must have symbol characters');

    await user.click(screen.getByRole('button', { name: 'Set the password and sign in' }));
    expect(await screen.findByText('console')).toBeInTheDocument();
    expect(client.completeNewPassword).toHaveBeenLastCalledWith('N3w-password!');
  });

  it('asks for the TOTP code when the pool does', async () => {
    const client = fakeStaffClient({ signedIn: false });
    client.signIn.mockResolvedValueOnce({ step: 'totp' });
    client.sendTotpCode.mockRejectedValueOnce(new StaffAuthError('CodeMismatchException', 'That code is not right.'));
    const { user } = renderConsole(client);
    await fillCredentials(user);

    const code = await screen.findByLabelText('Code');
    expect(code).toHaveFocus();
    expect(code).toHaveAttribute('autocomplete', 'one-time-code');
    await user.type(code, '12{Enter}');
    expect(screen.getByText('Enter the 6-digit code.')).toBeInTheDocument();
    await user.clear(code);
    await user.type(code, '000000{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent('That code is not right.');
    await user.type(screen.getByLabelText('Code'), '123456{Enter}');
    expect(await screen.findByText('console')).toBeInTheDocument();
    expect(client.sendTotpCode).toHaveBeenLastCalledWith('123456');
  });

  it('keeps a session of the tab, and signs out from the header', async () => {
    const { client, user } = renderConsole(fakeStaffClient({ role: 'admin', email: 'boss@example.com' }));
    expect(await screen.findByText('console')).toBeInTheDocument();
    expect(screen.getByTestId('staff-user')).toHaveTextContent('boss@example.comAdmin');
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(client.signOut).toHaveBeenCalled();
    expect(await screen.findByLabelText('Email')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('You signed out.');
    expect(screen.queryByText('console')).toBeNull();
  });

  it('tells a user in no group that their account has no role yet', async () => {
    const { user, client } = renderConsole(fakeStaffClient({ role: null, email: 'new@example.com' }));
    const heading = await screen.findByRole('heading', { name: 'No role yet' });
    expect(heading.parentElement).toHaveTextContent('your account has no role yet; ask an admin');
    expect(screen.queryByText('console')).toBeNull();
    await user.click(within(heading.parentElement!).getByRole('button', { name: 'Sign out' }));
    expect(client.signOut).toHaveBeenCalled();
  });

  it('hides the import from a viewer', async () => {
    renderConsole(fakeStaffClient({ role: 'viewer' }));
    expect(await screen.findByText('console')).toBeInTheDocument();
    expect(screen.getByTestId('staff-user')).toHaveTextContent('Viewer');
    expect(screen.queryByRole('link', { name: 'Bulk import' })).toBeNull();
    expect(screen.getByRole('link', { name: 'Dashboard' })).toBeInTheDocument();
  });

  it('reads the pool from GET /auth/config, and says so when it cannot', async () => {
    const { calls } = mockApi([['GET', '/api/auth/config', () => ({ status: 503, body: undefined })]]);
    const user = userEvent.setup();
    renderApp([{ path: '/staff', element: <StaffRoot /> }], { path: '/staff', realClient: true });
    expect(await screen.findByText('The sign-in could not start')).toBeInTheDocument();
    expect(calls.map((call) => call.url.pathname)).toEqual(['/api/auth/config']);
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    await screen.findByText('The sign-in could not start');
    expect(calls).toHaveLength(2);
  });

  it('has no axe violations on each step', async () => {
    const client = fakeStaffClient({ signedIn: false });
    client.signIn.mockResolvedValueOnce({ step: 'new_password' });
    const { container, user } = renderConsole(client);
    const check = async () => {
      const result = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
      expect(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    };
    await screen.findByLabelText('Email');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    await check();
    await fillCredentials(user);
    await screen.findByLabelText('New password');
    await check();
  }, 30_000);
});
