import { csvCell, neutraliseFormula, toCsv } from './csv';

describe('CSV for spreadsheets', () => {
  it.each(['=SUM(A1:A2)', '+1 415', '-2', '@cmd', '\tTAB'])('neutralises %j with an apostrophe', (value) => {
    expect(neutraliseFormula(value)).toBe(`'${value}`);
  });

  it('leaves ordinary text alone and quotes per RFC 4180', () => {
    expect(neutraliseFormula('Ada')).toBe('Ada');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(null)).toBe('');
    expect(toCsv(['a', 'b'], [['=1', 'x\ny']])).toBe(`a,b\r\n'=1,"x\ny"\r\n`);
  });
});
