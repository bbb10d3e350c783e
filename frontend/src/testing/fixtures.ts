import type { Professional, Resume } from '@/types/api';

let counter = 0;

export function makeProfessional(overrides: Partial<Professional> = {}): Professional {
  counter += 1;
  return {
    id: `id-${counter}`,
    full_name: `Person ${counter}`,
    email: `person${counter}@example.com`,
    phone: null,
    company_name: null,
    job_title: null,
    source: 'direct',
    created_at: '2026-11-26T03:00:00.000Z',
    updated_at: '2026-11-26T03:00:00.000Z',
    resume: null,
    email_verified: false,
    consent: null,
    ...overrides,
  };
}

export function makeResume(overrides: Partial<Resume> = {}): Resume {
  return {
    status: 'ready',
    reason: null,
    size_bytes: 2048,
    pages: 2,
    text_chars: 100,
    text_truncated: false,
    uploaded_at: '2026-11-26T03:00:00.000Z',
    processed_at: '2026-11-26T03:00:01.000Z',
    ...overrides,
  };
}
