import { meaningTerms, passageSentences, scorePercent, sentencesOf } from './passages';

describe('passages found by meaning', () => {
  it('cuts a passage into sentences that together are the whole text', () => {
    const text = 'Led the payments team. Moved node.js services to v3.5 on Kubernetes!\nOn call (24/7). Shipped';
    const sentences = sentencesOf(text);
    expect(sentences).toEqual([
      'Led the payments team. ',
      'Moved node.js services to v3.5 on Kubernetes!\n',
      'On call (24/7). ',
      'Shipped',
    ]);
    expect(sentences.join('')).toBe(text);
    expect(sentencesOf('')).toEqual([]);
    expect(sentencesOf('No end at all')).toEqual(['No end at all']);
  });

  it('marks the sentences that share a word with the query, by its stem, and the words themselves', () => {
    const terms = meaningTerms('built payment systems for banks');
    expect(terms).toEqual(['built', 'payment', 'systems', 'banks']); // "for" says nothing
    const sentences = passageSentences('Designed card PAYMENTS for a bank. Enjoys sailing. Built the ledger.', terms);
    expect(sentences.map((s) => s.shared)).toEqual([true, false, true]);
    expect(sentences[0].segments.filter((s) => s.hit).map((s) => s.text)).toEqual(['PAYMENTS', 'bank']);
    expect(sentences[1].segments).toEqual([{ text: 'Enjoys sailing. ', hit: false }]);
  });

  it('marks nothing when the query shares no word (a match by meaning alone)', () => {
    const sentences = passageSentences('Ran the clearing house for interbank transfers.', meaningTerms('money movement'));
    expect(sentences).toEqual([{ segments: [{ text: 'Ran the clearing house for interbank transfers.', hit: false }], shared: false }]);
    expect(passageSentences('A sentence.', [])[0].shared).toBe(false);
  });

  it('shows a score as a whole percentage within 0..100', () => {
    expect([0.873, 1, 0, 1.0000001, -0.2, Number.NaN].map(scorePercent)).toEqual([87, 100, 0, 100, 0, 0]);
  });
});
