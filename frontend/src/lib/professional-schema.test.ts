import { professionalFormSchema, toCreateBody, toPatchBody } from './professional-schema';

const base = { full_name: 'Ada', email: '', phone: '', company_name: '', job_title: '' };

describe('professional form rules', () => {
  it.each(['(415) 555-0123', '+1 415 555 0123', '415.555.0123', '+44 20 7946 0958', '+1 415-555-0123 ext. 12'])(
    'accepts the phone %j and leaves the final word to the server',
    (phone) => {
      expect(professionalFormSchema.safeParse({ ...base, phone }).success).toBe(true);
    },
  );

  it.each(['call me', '12', 'phone: 555'])('rejects the implausible phone %j', (phone) => {
    expect(professionalFormSchema.safeParse({ ...base, phone }).success).toBe(false);
  });

  it('needs a name and an email or a phone', () => {
    const result = professionalFormSchema.safeParse({ ...base, full_name: '  ' });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((issue) => issue.path[0]);
    expect(paths).toEqual(expect.arrayContaining(['full_name', 'email', 'phone']));
  });

  it('builds a create body without empty optional fields', () => {
    expect(toCreateBody({ ...base, email: ' a@b.co ', job_title: '' })).toEqual({ full_name: 'Ada', email: 'a@b.co' });
  });

  it('builds a PATCH body of changed fields, a cleared one as null', () => {
    const current = { full_name: 'Ada', email: 'a@b.co', phone: '+14155550123', company_name: 'X', job_title: null, source: 'direct' };
    const values = { full_name: 'Ada', email: 'a@b.co', phone: '', company_name: 'X', job_title: 'Dev', source: 'partner' as const };
    expect(toPatchBody(values, current)).toEqual({ phone: null, job_title: 'Dev', source: 'partner' });
  });
});
