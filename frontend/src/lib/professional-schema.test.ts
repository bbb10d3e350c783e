import { selfEditSchema, signupFormSchema, staffEditSchema, toCreateBody, toPatchBody } from './professional-schema';

const base = { full_name: 'Ada', email: '', phone: '', company_name: '', job_title: '' };
const signup = { ...base, email: 'ada@example.com', consent: true };

describe('professional form rules', () => {
  it.each(['(415) 555-0123', '+1 415 555 0123', '415.555.0123', '+44 20 7946 0958', '+1 415-555-0123 ext. 12'])(
    'accepts the phone %j and leaves the final word to the server',
    (phone) => {
      expect(signupFormSchema.safeParse({ ...signup, phone }).success).toBe(true);
    },
  );

  it.each(['call me', '12', 'phone: 555'])('rejects the implausible phone %j', (phone) => {
    expect(signupFormSchema.safeParse({ ...signup, phone }).success).toBe(false);
  });

  it('staff records need a name and an email or a phone', () => {
    const result = staffEditSchema.safeParse({ ...base, full_name: '  ', source: 'internal' });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((issue) => issue.path[0]);
    expect(paths).toEqual(expect.arrayContaining(['full_name', 'email', 'phone']));
  });

  it('the public sign-up needs an email (a phone alone is not enough) and the notice accepted', () => {
    const result = signupFormSchema.safeParse({ ...base, phone: '+14155550123', consent: false });
    expect(result.success).toBe(false);
    const problems = Object.fromEntries(result.error!.issues.map((issue) => [issue.path[0], issue.message]));
    expect(problems).toEqual({
      email: 'Enter your email address: we send you a link there to confirm it.',
      consent: 'Tick the box to accept the privacy notice: we cannot sign you up without it.',
    });
    expect(signupFormSchema.safeParse(signup).success).toBe(true);
  });

  it('a person may clear their phone but not their email', () => {
    expect(selfEditSchema.safeParse({ ...base, email: 'ada@example.com' }).success).toBe(true);
    const result = selfEditSchema.safeParse({ ...base, phone: '+14155550123' });
    expect(result.error!.issues.map((issue) => [issue.path[0], issue.message])).toEqual([
      ['email', 'Enter your email address: it cannot be removed, only changed.'],
    ]);
  });

  it('builds a create body without empty optional fields', () => {
    expect(toCreateBody({ ...base, email: ' a@b.co ', job_title: '' })).toEqual({ full_name: 'Ada', email: 'a@b.co' });
  });

  it('builds a PATCH body of changed fields, a cleared one as null', () => {
    const current = { full_name: 'Ada', email: 'a@b.co', phone: '+14155550123', company_name: 'X', job_title: null, source: 'direct' };
    const values = { full_name: 'Ada', email: 'a@b.co', phone: '', company_name: 'X', job_title: 'Dev', source: 'partner' as const };
    expect(toPatchBody(values, current)).toEqual({ phone: null, job_title: 'Dev', source: 'partner' });
    const { source: _notTheirs, ...own } = values;
    expect(toPatchBody(own, current)).toEqual({ phone: null, job_title: 'Dev' });
  });
});
