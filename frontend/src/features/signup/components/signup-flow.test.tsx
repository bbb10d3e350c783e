import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { mockApi } from '@/testing/fetch-mock';
import { makeProfessional } from '@/testing/fixtures';
import { renderRoute } from '@/testing/render';

import { SignupFlow } from './signup-flow';

describe('SignupFlow', () => {
  it('after signing up, says where the link went and what it is for', async () => {
    const created = { ...makeProfessional({ id: 'p1', full_name: 'Ada', email: 'ada@example.com' }), access_token: 'tok' };
    mockApi([['POST', '/api/professionals', () => ({ status: 201, body: created })]]);
    const user = userEvent.setup();
    renderRoute(<SignupFlow />);
    await user.type(screen.getByLabelText('Full name'), 'Ada');
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.click(screen.getByRole('checkbox', { name: /privacy notice/ }));
    await user.click(screen.getByRole('button', { name: 'Sign up' }));
    expect(await screen.findByRole('heading', { name: "Thank you, Ada. You're signed up." })).toHaveFocus();
    expect(screen.getByTestId('link-sent')).toHaveTextContent(
      'We sent a link to ada@example.com. Open it to confirm your address; the same link lets you see, correct, download or delete your details',
    );
  });
});
