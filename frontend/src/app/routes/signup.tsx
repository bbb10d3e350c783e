import { useEffect } from 'react';

import { PublicLayout } from '@/components/layouts/public-layout';
import { SignupFlow } from '@/features/signup/components/signup-flow';

export function SignupRoute() {
  useEffect(() => {
    document.title = 'Sign up · Professionals';
  }, []);
  return (
    <PublicLayout
      title="Join our network of professionals"
      intro="Tell us how to reach you and, if you like, share your resume. It takes a minute."
    >
      <SignupFlow />
    </PublicLayout>
  );
}
