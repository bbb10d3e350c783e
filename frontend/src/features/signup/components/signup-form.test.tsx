import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { apiError, mockApi } from '@/testing/fetch-mock';
import { makeProfessional } from '@/testing/fixtures';
import { renderRoute } from '@/testing/render';

import { SignupForm } from './signup-form';

function setup(routes: Parameters<typeof mockApi>[0] = []) {
  const api = mockApi(routes);
  const onSignedUp = vi.fn();
  renderRoute(<SignupForm onSignedUp={onSignedUp} />);
  return { ...api, onSignedUp, user: userEvent.setup() };
}

describe('SignupForm', () => {
  it('validates inline, names each problem next to its field, and focuses the first', async () => {
    const { user, fetchMock } = setup();
    await user.click(screen.getByRole('button', { name: 'Sign up' }));
    const name = screen.getByLabelText('Full name');
    expect(await screen.findByText('Enter a full name.')).toBeInTheDocument();
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(name).toHaveAccessibleDescription('Enter a full name.');
    expect(name).toHaveFocus();
    expect(screen.getByLabelText('Email')).toHaveAccessibleDescription('Enter your email address: we send you a link there to confirm it.');
    const consent = screen.getByRole('checkbox', { name: /privacy notice/ });
    expect(consent).toHaveAccessibleDescription('Tick the box to accept the privacy notice: we cannot sign you up without it.');

    await user.type(screen.getByLabelText('Email'), 'nope');
    await user.tab();
    expect(await screen.findByText('Enter an email address like name@example.com.')).toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('checks the resume file in the browser first', async () => {
    const { user, fetchMock } = setup();
    await user.type(screen.getByLabelText('Full name'), 'Ada');
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    const big = new File([new Uint8Array(5 * 1024 * 1024 + 1)], 'cv.pdf', { type: 'application/pdf' });
    await user.upload(screen.getByLabelText(/Resume/), big);
    expect(screen.getByText(/the limit is 5 MB/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Sign up' }));
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('has a consent box, unticked, labelled with a link to the privacy notice; no sign-up without it', async () => {
    const { user, fetchMock } = setup();
    const consent = screen.getByRole('checkbox', {
      // (jsdom drops the space before the hidden "(opens in a new tab)"; browsers keep it)
      name: /^I have read the privacy notice ?\(opens in a new tab\) and agree that you keep my details as it describes\.$/,
    });
    expect(consent).not.toBeChecked();
    const notice = screen.getByRole('link', { name: /^privacy notice ?\(opens in a new tab\)$/ });
    expect(notice).toHaveAttribute('href', '/privacy');
    expect(notice).toHaveAttribute('target', '_blank');
    expect(screen.getByRole('link', { name: 'Lost your link?' })).toHaveAttribute('href', '/me');

    await user.type(screen.getByLabelText('Full name'), 'Ada');
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.click(screen.getByRole('button', { name: 'Sign up' }));
    expect(await screen.findByText('Tick the box to accept the privacy notice: we cannot sign you up without it.')).toBeInTheDocument();
    expect(consent).toHaveFocus();
    expect(consent).toHaveAttribute('aria-invalid', 'true');
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('needs an email: a phone alone is not enough', async () => {
    const { user, fetchMock } = setup();
    await user.type(screen.getByLabelText('Full name'), 'Ada');
    await user.type(screen.getByLabelText(/^Phone/), '+14155550123');
    await user.click(screen.getByRole('checkbox', { name: /privacy notice/ }));
    await user.click(screen.getByRole('button', { name: 'Sign up' }));
    expect(await screen.findByText('Enter your email address: we send you a link there to confirm it.')).toBeInTheDocument();
    expect(screen.getByLabelText('Email')).toHaveFocus();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('signs up with consent and a resume descriptor, and hands over the response and the file', async () => {
    const created = { ...makeProfessional({ full_name: 'Ada' }), access_token: 'tok' };
    const { user, calls, onSignedUp } = setup([['POST', '/api/professionals', () => ({ status: 201, body: created })]]);
    await user.type(screen.getByLabelText('Full name'), '  Ada ');
    await user.type(screen.getByLabelText('Email'), ' ada@example.com ');
    await user.type(screen.getByLabelText(/^Phone/), '(415) 555-0123');
    await user.click(screen.getByRole('checkbox', { name: /privacy notice/ }));
    const file = new File(['%PDF-1.4'], 'ada.pdf', { type: 'application/pdf' });
    await user.upload(screen.getByLabelText(/Resume/), file);
    await user.click(screen.getByRole('button', { name: 'Sign up' }));
    await waitFor(() => expect(onSignedUp).toHaveBeenCalledWith({ professional: created, file }));
    expect(calls[0].body).toEqual({
      full_name: 'Ada',
      email: 'ada@example.com',
      phone: '(415) 555-0123',
      consent: true,
      resume: { filename: 'ada.pdf', content_type: 'application/pdf', size_bytes: 8 },
    });
  });

  it('says which field is taken on a 409', async () => {
    const { user } = setup([
      ['POST', '/api/professionals', () => apiError(409, 'conflict', 'Taken.', { conflicts: [{ field: 'email' }, { field: 'phone' }] })],
    ]);
    await user.type(screen.getByLabelText('Full name'), 'Ada');
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText(/^Phone/), '+14155550123');
    await user.click(screen.getByRole('checkbox', { name: /privacy notice/ }));
    await user.click(screen.getByRole('button', { name: 'Sign up' }));
    expect(await screen.findByText('This email address is already registered.')).toBeInTheDocument();
    expect(screen.getByText('This phone number is already registered.')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent(
      'Someone has already signed up with this email address and phone number. If the address is yours, we have sent it a link to your details.',
    );
    expect(screen.getByLabelText('Email')).toHaveFocus();
  });

  it("shows the server's field messages when it disagrees (phone numbers)", async () => {
    const { user } = setup([
      ['POST', '/api/professionals', () => apiError(400, 'validation_error', 'Invalid.', { fields: { phone: ['Not a valid number for its region.'] } })],
    ]);
    await user.type(screen.getByLabelText('Full name'), 'Ada');
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText(/^Phone/), '+1 000 000 0000');
    await user.click(screen.getByRole('checkbox', { name: /privacy notice/ }));
    await user.click(screen.getByRole('button', { name: 'Sign up' }));
    expect(await screen.findByText('Not a valid number for its region.')).toBeInTheDocument();
    expect(screen.getByLabelText(/^Phone/)).toHaveAttribute('aria-invalid', 'true');
  });

  it("shows the server's consent error next to the box", async () => {
    const { user } = setup([
      ['POST', '/api/professionals', () => apiError(400, 'validation_error', 'Invalid.', { fields: { consent: ['Must be true: the privacy notice must be accepted to sign up.'] } })],
    ]);
    await user.type(screen.getByLabelText('Full name'), 'Ada');
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    const consent = screen.getByRole('checkbox', { name: /privacy notice/ });
    await user.click(consent);
    await user.click(screen.getByRole('button', { name: 'Sign up' }));
    expect(await screen.findByText('Must be true: the privacy notice must be accepted to sign up.')).toBeInTheDocument();
    expect(consent).toHaveAttribute('aria-invalid', 'true');
  });
});
