import { screen } from '@testing-library/react';

import { PRIVACY_VERSION } from '@/config/privacy';
import { renderRoute } from '@/testing/render';

import { PrivacyRoute } from './privacy';

describe('/privacy', () => {
  it('shows its version, and how to see, correct, download and delete your data', () => {
    renderRoute(<PrivacyRoute />);
    expect(screen.getByRole('heading', { name: 'Privacy notice', level: 1 })).toBeInTheDocument();
    expect(screen.getByText(`Version ${PRIVACY_VERSION}`)).toBeInTheDocument();
    for (const part of ['What we keep', 'Why', 'How long', 'Who sees it', 'Your rights, and how to use them']) {
      expect(screen.getByRole('heading', { name: part, level: 2 })).toBeInTheDocument();
    }
    expect(screen.getByText(/within 30 days, your sign-up is erased automatically/)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'your details page' })).toHaveAttribute('href', '/me');
    expect(screen.getByRole('link', { name: '“Lost your link?” form' })).toHaveAttribute('href', '/me');
  });
});
