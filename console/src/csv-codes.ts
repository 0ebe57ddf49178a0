// Merchant codes from an uploaded CSV file: the column headed `uscc` if there is one, else
// the first column; each code checked for format (GB 32100, check character included) before
// anything is sent. Quoted cells, a byte-order mark, CRLF and ; or tab separators are read.
import { isValidUscc } from '../../datasets/uscc.js';

export interface CsvCodes {
  /** Valid codes, in file order, without repeats. */
  codes: string[];
  /** Cells that are not valid codes (the header excepted), as read. */
  invalid: string[];
}

const cells = (line: string, sep: string): string[] => {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === sep) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((x) => x.trim());
};

export function codesFromCsv(text: string): CsvCodes {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return { codes: [], invalid: [] };
  const first = lines[0]!;
  const sep = first.includes(',') ? ',' : first.includes(';') ? ';' : first.includes('\t') ? '\t' : ',';
  const head = cells(first, sep).map((h) => h.toLowerCase());
  const named = head.indexOf('uscc');
  const col = named >= 0 ? named : 0;
  // a header row: named columns, or a first cell that is no code and has no digit
  const hasHeader = named >= 0 || !/\d/.test(head[0] ?? '');
  const codes: string[] = [];
  const invalid: string[] = [];
  const seen = new Set<string>();
  for (const line of hasHeader ? lines.slice(1) : lines) {
    const cell = (cells(line, sep)[col] ?? '').toUpperCase();
    if (cell === '') continue;
    if (!isValidUscc(cell)) invalid.push(cell);
    else if (!seen.has(cell)) {
      seen.add(cell);
      codes.push(cell);
    }
  }
  return { codes, invalid };
}
