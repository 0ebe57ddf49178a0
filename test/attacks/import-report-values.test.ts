// ATTACK: "the report of a rejected import never holds a value from the file" (datasets/
// import-report.ts). It does, through the column name: the header is taken from the file,
// and an unknown column is listed by its text (64 characters). A CSV exported without its
// header row (a common operator slip) makes the first merchant's row the header: the
// report then lists that merchant's USCC and tax figures as "unknown columns", and the
// report goes to tickets and logs. In JSON lines, any row with an extra key (a value
// keyed by a merchant code, a misplaced object) puts the key in the report.
// Secure behaviour: an unknown column is named by its position (or a digest), never by
// its text.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportError } from '../../datasets/import-report.js';
import { loadSource } from '../../datasets/import.js';
import { seedVault, Vault } from '../../datasets/store.js';
import { sourceRows, toCsv, toJsonl } from '../helpers/import-files.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

let dir = '';
let rows: ReturnType<typeof sourceRows> = [];
beforeAll(() => {
  dir = tmpDir('dfix-atk-import-');
  const vaultPath = path.join(dir, 'vault.db');
  seedVault(vaultPath, { subjects: 200, seed: 7 });
  const v = Vault.open(vaultPath);
  rows = sourceRows(v, 'tax');
  v.close();
});
afterAll(() => rmDir(dir));

function report(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  try {
    loadSource({ source: 'tax', file });
  } catch (e) {
    expect(e).toBeInstanceOf(ImportError);
    return JSON.stringify({ code: (e as ImportError).code, problems: (e as ImportError).problems });
  }
  throw new Error('accepted');
}

describe('the rejection report of an import', () => {
  it('a CSV without its header row: no value of the first merchant in the report', () => {
    const csv = toCsv(rows).split('\n').slice(1).join('\n');
    const first = rows[0] as Record<string, unknown>;
    const r = report('headerless.csv', csv);
    expect(r).toContain('DATASET_IMPORT_UNKNOWN_COLUMN');
    const leaked = Object.values(first).filter((v) => v !== null && String(v).length >= 2 && r.includes(`"${String(v)}"`));
    expect(leaked, r).toEqual([]);
  });

  it('a JSON-lines row with a key taken from the data: the key is not in the report', () => {
    const secret = String(rows[5]?.uscc);
    const lines = toJsonl(rows).split('\n');
    lines[5] = JSON.stringify({ ...rows[5], [secret]: 1 });
    expect(report('extra.jsonl', lines.join('\n'))).not.toContain(secret);
  });
});
