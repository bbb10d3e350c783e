import { RESUME_REASONS } from '@/types/api';

import { checkResumeFile, reasonSentence } from './resume';

describe('resume helpers', () => {
  it('has a human sentence for every rejection reason', () => {
    const sentences = RESUME_REASONS.map(reasonSentence);
    expect(new Set(sentences).size).toBe(RESUME_REASONS.length);
    for (const sentence of sentences) expect(sentence).toMatch(/^[A-Z].+\.$/);
    expect(reasonSentence(null)).toMatch(/another PDF/);
  });

  it('checks type and size in the browser before asking for an upload', () => {
    const pdf = (size: number, name = 'cv.pdf', type = 'application/pdf') =>
      new File([new Uint8Array(size)], name, { type });
    expect(checkResumeFile(pdf(10))).toBeNull();
    expect(checkResumeFile(pdf(10, 'cv.PDF', ''))).toBeNull();
    expect(checkResumeFile(pdf(10, 'cv.docx', 'application/msword'))).toMatch(/PDF/);
    expect(checkResumeFile(pdf(0))).toMatch(/empty/);
    expect(checkResumeFile(pdf(5 * 1024 * 1024 + 1))).toMatch(/5 MB/);
  });
});
