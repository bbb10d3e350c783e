import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { STAFF_KEY_STORAGE } from '@/lib/staff-session';
import { apiError, mockApi } from '@/testing/fetch-mock';
import { renderRoute } from '@/testing/render';

import { StaffKeyGate } from './staff-key-gate';

describe('StaffKeyGate', () => {
  it('asks for the key, explains a 401 and a 403, and keeps a good key for the session', async () => {
    mockApi([
      ['GET', '/api/professionals', ({ headers }) => {
        const key = headers.get('X-Api-Key');
        if (key === 'good') return { status: 200, body: { items: [], next_cursor: null } };
        if (key === 'partner') return apiError(403, 'forbidden', 'No.');
        return apiError(401, 'unauthorized', 'Unknown key.');
      }],
    ]);
    const user = userEvent.setup();
    renderRoute(<StaffKeyGate><p>console</p></StaffKeyGate>);

    const input = screen.getByLabelText('Staff key');
    expect(input).toHaveFocus();
    expect(input).toHaveAttribute('type', 'password');
    await user.type(input, 'wrong{Enter}');
    expect(await screen.findByText(/was not accepted/)).toBeInTheDocument();
    await user.clear(input);
    await user.type(input, 'partner{Enter}');
    expect(await screen.findByText(/does not have staff access/)).toBeInTheDocument();
    expect(screen.queryByText('console')).not.toBeInTheDocument();

    await user.clear(input);
    await user.type(input, 'good{Enter}');
    expect(await screen.findByText('console')).toBeInTheDocument();
    expect(sessionStorage.getItem(STAFF_KEY_STORAGE)).toBe('good');
  });

  it('skips the prompt when the session already has a key', () => {
    mockApi([]);
    renderRoute(<StaffKeyGate><p>console</p></StaffKeyGate>, { staffKey: 'kept' });
    expect(screen.getByText('console')).toBeInTheDocument();
  });
});
