// Merchant codes read from an uploaded CSV in the bank's page (console/src/csv-codes.ts).
import { describe, expect, it } from 'vitest';
import { codesFromCsv } from '../../console/src/csv-codes.js';
import { strangerUscc } from '../helpers/platform.js';

const [a, b, c] = [strangerUscc(801), strangerUscc(802), strangerUscc(803)];
// one character changed: the check character no longer matches
const broken = `${a.slice(0, 17)}${a[17] === '0' ? '1' : '0'}`;

describe('codes from a CSV file', () => {
  it('reads the first column, without a header', () => {
    expect(codesFromCsv(`${a},x\n${b},y\r\n${c}\n`)).toEqual({ codes: [a, b, c], invalid: [] });
  });

  it('reads the column headed uscc, quoted cells, a BOM, and skips repeats', () => {
    const text = `\uFEFFname,"USCC"\n"Shop, one",${a}\nShop two,"${b.toLowerCase()}"\nagain,${a}\n`;
    expect(codesFromCsv(text)).toEqual({ codes: [a, b], invalid: [] });
  });

  it('skips a header row and reports malformed codes (format and check character)', () => {
    expect(codesFromCsv(`merchant\n${a}\nNOT-A-CODE\n${broken}\n`)).toEqual({ codes: [a], invalid: ['NOT-A-CODE', broken] });
    expect(codesFromCsv('')).toEqual({ codes: [], invalid: [] });
    expect(codesFromCsv(`uscc;name\n${c};z\n`)).toEqual({ codes: [c], invalid: [] });
  });
});
