import Papa from 'papaparse';

/** Rows as read from a CSV file or pasted JSON, before the columns are mapped to fields. */
export type SourceTable = {
  kind: 'csv' | 'json';
  name: string;
  columns: string[];
  rows: unknown[][];
};

export class ParseError extends Error {}

export function parseCsv(text: string, name = 'pasted CSV'): SourceTable {
  const clean = text.replace(/^\uFEFF/, '');
  const parsed = Papa.parse<string[]>(clean, { skipEmptyLines: 'greedy' });
  const fatal = parsed.errors.find((error) => error.type === 'Quotes' || error.type === 'Delimiter');
  if (fatal) {
    const line = fatal.row !== undefined ? ` (data row ${fatal.row + 1})` : '';
    throw new ParseError(`This CSV could not be read${line}: ${fatal.message}.`);
  }
  const [header, ...rows] = parsed.data;
  if (!header || header.every((cell) => cell.trim() === '')) {
    throw new ParseError('This CSV is empty: the first line must name the columns.');
  }
  if (rows.length === 0) throw new ParseError('This CSV has a header line but no rows.');
  const columns = header.map((cell, i) => cell.trim() || `Column ${i + 1}`);
  return { kind: 'csv', name, columns, rows };
}

export function parseJson(text: string): SourceTable {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ParseError(`This is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(data)) throw new ParseError('Paste a JSON array of objects, like [{"full_name": "…"}].');
  if (data.length === 0) throw new ParseError('The JSON array is empty.');
  const columns: string[] = [];
  const seen = new Set<string>();
  data.forEach((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new ParseError(`Item ${i + 1} is not an object.`);
    }
    for (const key of Object.keys(item)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  });
  const rows = (data as Record<string, unknown>[]).map((item) =>
    columns.map((column) => (column in item ? item[column] : undefined)),
  );
  return { kind: 'json', name: 'pasted JSON', columns, rows };
}
