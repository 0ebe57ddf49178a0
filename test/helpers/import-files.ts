// Source files for `dfix data import` tests, made from a vault's own values: each catalog
// source's fields, as an operator's file would hold them (category codes, 0/1, yyyymmdd,
// empty where missing).
import type { Source } from '../../datasets/catalog.js';
import { sourceFields } from '../../datasets/import.js';
import type { Vault } from '../../datasets/store.js';

export type Row = Record<string, string | number | null>;

export function sourceRows(vault: Vault, source: Source): Row[] {
  const fields = sourceFields(source);
  const numeric = fields.filter((f) => f.type !== 'text');
  const { uscc, names } = vault.subjectList();
  const all = Int32Array.from(uscc, (_, i) => i);
  const values = vault.carry(
    numeric.map((f) => f.name),
    all,
  );
  const k = numeric.length;
  return uscc.map((u, i) => {
    const row: Row = { uscc: u };
    for (const f of fields) {
      if (f.name === 'merchant_name') {
        row[f.name] = names[i] as string;
        continue;
      }
      const v = values[i * k + numeric.indexOf(f)] as number;
      row[f.name] = Number.isNaN(v) ? null : f.type === 'category' ? ((f.categories?.[v]?.code as string) ?? null) : v;
    }
    return row;
  });
}

const csvCell = (v: string | number | null): string => {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function toCsv(rows: readonly Row[], columns: readonly string[] = Object.keys(rows[0] ?? {})): string {
  return `${[columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c] ?? null)).join(','))].join('\n')}\n`;
}

export function toJsonl(rows: readonly Row[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}
