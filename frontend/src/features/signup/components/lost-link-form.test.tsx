import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { apiError, mockApi } from '@/testing/fetch-mock';
import { renderRoute } from '@/testing/render';

import { LostLinkForm } from './lost-link-form';

describe('LostLinkForm', () => {
  it('asks for a link and says the same thing whoever the address belongs to', async () => {
    const { calls } = mockApi([['POST', '/api/access-links', () => ({ status: 202, body: { status: 'sent' } })]]);
    const user = userEvent.setup();
    renderRoute(<LostLinkForm />);
    await user.type(screen.getByLabelText('Email address'), ' ada@example.com ');
    await user.click(screen.getByRole('button', { name: 'Send me a link' }));
    expect(await screen.findByText('If we hold that address, we sent it a link.')).toBeInTheDocument();
    expect(screen.getByText(/Look for a message to ada@example\.com/)).toBeInTheDocument();
    expect(calls[0].body).toEqual({ email: 'ada@example.com' });
  });

  it('checks the address first, and shows what the server says of it', async () => {
    const { fetchMock } = mockApi([
      ['POST', '/api/access-links', () => apiError(400, 'validation_error', 'Invalid.', { fields: { email: ['Not a valid email address.'] } })],
    ]);
    const user = userEvent.setup();
    renderRoute(<LostLinkForm />);
    await user.click(screen.getByRole('button', { name: 'Send me a link' }));
    expect(await screen.findByText('Enter the email address you signed up with.')).toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();
    await user.type(screen.getByLabelText('Email address'), 'ada@example.c');
    await user.click(screen.getByRole('button', { name: 'Send me a link' }));
    expect(await screen.findByText('Not a valid email address.')).toBeInTheDocument();
    expect(screen.queryByText(/If we hold that address/)).toBeNull();
  });
});
