import { useEffect, useRef, useState } from 'react';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { TextField } from '@/components/ui/field';
import { StaffAuthError, type SignInStep } from '@/lib/staff-auth';
import { useStaffSession } from '@/lib/staff-session';

type Step = 'credentials' | 'new_password' | 'totp';

const TITLES: Record<Step, [string, string]> = {
  credentials: [
    'Sign in to the staff console',
    'Sign in with your staff account. You stay signed in in this browser tab until you close it or sign out.',
  ],
  new_password: ['Choose a new password', 'This is your first sign-in: replace the temporary password you were given.'],
  totp: ['Enter your sign-in code', 'Open your authenticator app and enter the 6-digit code it shows for this account.'],
};

type Errors = Partial<Record<'email' | 'password' | 'newPassword' | 'repeat' | 'code', string>>;

/** Email and password (SRP), then the new-password or TOTP step when the pool asks for one. */
export function SignInForm() {
  const { client, notice, signedIn } = useStaffSession();
  const [step, setStep] = useState<Step>('credentials');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    formRef.current?.querySelector('input')?.focus();
  }, [step]);

  const advance = (next: SignInStep) => {
    if (next.step === 'done') signedIn(next.user);
    else setStep(next.step);
  };

  const validate = (): Errors => {
    if (step === 'credentials') {
      return {
        email: email.trim() ? undefined : 'Enter your email address.',
        password: password ? undefined : 'Enter your password.',
      };
    }
    if (step === 'new_password') {
      return {
        newPassword: newPassword ? undefined : 'Enter a new password.',
        repeat: newPassword && repeat !== newPassword ? 'The two passwords differ.' : undefined,
      };
    }
    return { code: /^\d{6}$/.test(code.trim()) ? undefined : 'Enter the 6-digit code.' };
  };

  const onSubmit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!client || busy) return;
    const found = validate();
    setErrors(found);
    setFailure(null);
    if (Object.values(found).some(Boolean)) {
      // After React renders the messages: focus the first field that has one.
      setTimeout(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    setBusy(true);
    try {
      if (step === 'credentials') advance(await client.signIn(email.trim(), password));
      else if (step === 'new_password') advance(await client.completeNewPassword(newPassword));
      else advance(await client.sendTotpCode(code.trim()));
    } catch (error) {
      setFailure(error instanceof StaffAuthError ? error.message : 'Sign-in failed. Try again.');
      if (step === 'credentials') setPassword('');
      if (step === 'totp') setCode('');
      formRef.current?.querySelector('input')?.focus();
    } finally {
      setBusy(false);
    }
  };

  const startOver = () => {
    setStep('credentials');
    setPassword('');
    setNewPassword('');
    setRepeat('');
    setCode('');
    setErrors({});
    setFailure(null);
  };

  const [title, intro] = TITLES[step];
  return (
    <div className="mx-auto max-w-md">
      <div className="rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
        <h1 className="text-xl font-bold text-slate-900">{title}</h1>
        <p className="mt-1 text-sm text-slate-700">{intro}</p>
        {notice && step === 'credentials' && !failure && (
          <Alert tone="warning" live="alert" className="mt-4">
            {notice}
          </Alert>
        )}
        {failure && (
          <Alert tone="error" className="mt-4">
            {failure}
          </Alert>
        )}
        <form ref={formRef} noValidate onSubmit={onSubmit} className="mt-5 space-y-4">
          {step === 'credentials' && (
            <>
              <TextField
                label="Email"
                type="email"
                autoComplete="username"
                spellCheck={false}
                value={email}
                onChange={(event) => setEmail(event.target.value)}
                error={errors.email}
              />
              <TextField
                label="Password"
                type="password"
                autoComplete="current-password"
                value={password}
                onChange={(event) => setPassword(event.target.value)}
                error={errors.password}
              />
            </>
          )}
          {step === 'new_password' && (
            <>
              <TextField
                label="New password"
                type="password"
                autoComplete="new-password"
                hint="Long, with upper and lower case letters and digits; not one you use elsewhere."
                value={newPassword}
                onChange={(event) => setNewPassword(event.target.value)}
                error={errors.newPassword}
              />
              <TextField
                label="Repeat the new password"
                type="password"
                autoComplete="new-password"
                value={repeat}
                onChange={(event) => setRepeat(event.target.value)}
                error={errors.repeat}
              />
            </>
          )}
          {step === 'totp' && (
            <TextField
              label="Code"
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={6}
              value={code}
              onChange={(event) => setCode(event.target.value)}
              error={errors.code}
            />
          )}
          <Button type="submit" busy={busy} className="w-full">
            {busy ? 'Signing in…' : step === 'new_password' ? 'Set the password and sign in' : 'Sign in'}
          </Button>
          {step !== 'credentials' && (
            <Button variant="ghost" className="w-full" onClick={startOver}>
              Start again
            </Button>
          )}
        </form>
      </div>
    </div>
  );
}
