// What a value of each catalog field may be when real data is loaded (`dfix data import`):
// its type, its unit's range, its category codes. The catalog says what a field means; these
// rules say which values are plausible, and turn a cell of a CSV or JSON-lines file into the
// number the vault stores (category index, 0/1, yyyymmdd; NaN where missing).
import type { Field } from './catalog.js';

/** The rule a rejected value broke (named in the import report). */
export type ImportRule = 'type' | 'range' | 'category' | 'required' | 'uscc-check' | 'uscc-missing' | 'uscc-duplicate' | 'unknown-subject';

/** A cell as read: CSV gives text (empty = missing), JSON gives its own types. */
export type Cell = string | number | boolean | null | undefined;

/** Fields every merchant must have: its identity and the public segment keys cohorts use. */
export const REQUIRED_FIELDS: ReadonlySet<string> = new Set(['uscc', 'merchant_name', 'industry_section', 'district', 'size_band', 'reg_year_band', 'default_12m']);

/** Fields that may be negative: changes over time. */
const SIGNED: ReadonlySet<string> = new Set(['si_headcount_change_12m']);

/** [min, max] of a numeric field by its unit: generous, to catch a wrong unit or a typo, not to judge a merchant. */
const RANGE_BY_UNIT: Record<string, [number, number]> = {
  元: [0, 1e13],
  万元: [0, 1e9],
  kWh: [0, 1e11],
  kVA: [0, 1e7],
  平方米: [0, 1e7],
  年: [1900, 2100],
  月: [0, 1200],
  天: [0, 3660],
  比率: [-1, 1000],
  人: [0, 1e7],
  次: [0, 1e6],
  件: [0, 1e6],
  个: [0, 1e6],
  张: [0, 1e9],
  人次: [0, 1e10],
};

export function rangeOf(f: Field): [number, number] | undefined {
  const r = RANGE_BY_UNIT[f.unit];
  if (!r) return undefined;
  return SIGNED.has(f.name) ? [-r[1], r[1]] : r;
}

const INTEGER = /^[+-]?\d{1,16}$/;
const DECIMAL = /^[+-]?(\d{1,20}(\.\d{0,20})?|\.\d{1,20})([eE][+-]?\d{1,3})?$/;

function numberOf(cell: Cell): number | undefined {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : undefined;
  if (typeof cell !== 'string') return undefined;
  const s = cell.trim();
  return DECIMAL.test(s) ? Number(s) : undefined;
}

function validDate(v: number): boolean {
  if (!Number.isInteger(v) || v < 19000101 || v > 21001231) return false;
  const y = Math.floor(v / 10000);
  const m = Math.floor(v / 100) % 100;
  const d = v % 100;
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** The stored number of a cell of a numeric field, or the rule it breaks. */
export function valueOf(f: Field, cell: Cell): number | ImportRule {
  const missing = cell === null || cell === undefined || (typeof cell === 'string' && cell.trim() === '');
  if (missing) return REQUIRED_FIELDS.has(f.name) ? 'required' : NaN;
  switch (f.type) {
    case 'category': {
      if (typeof cell !== 'string') return 'type';
      const i = f.categories?.findIndex((c) => c.code === cell.trim()) ?? -1;
      return i < 0 ? 'category' : i;
    }
    case 'boolean': {
      if (cell === true || cell === 1 || cell === '1' || cell === 'true') return 1;
      if (cell === false || cell === 0 || cell === '0' || cell === 'false') return 0;
      return 'type';
    }
    case 'date': {
      const v = numberOf(cell);
      if (v === undefined || !Number.isInteger(v)) return 'type';
      return validDate(v) ? v : 'range';
    }
    case 'integer': {
      if (typeof cell === 'string' && !INTEGER.test(cell.trim())) return 'type';
      const v = numberOf(cell);
      if (v === undefined || !Number.isSafeInteger(v)) return 'type';
      const r = rangeOf(f);
      return r && (v < r[0] || v > r[1]) ? 'range' : v;
    }
    case 'decimal': {
      const v = numberOf(cell);
      if (v === undefined) return 'type';
      const r = rangeOf(f);
      return r && (v < r[0] || v > r[1]) ? 'range' : v;
    }
    default:
      return 'type';
  }
}

/** A text field's value (code or name), or the rule it breaks. */
export function textOf(cell: Cell): string | ImportRule {
  if (cell === null || cell === undefined || (typeof cell === 'string' && cell.trim() === '')) return 'required';
  if (typeof cell !== 'string') return 'type';
  const s = cell.trim();
  if (s.length > 200 || /[\u0000-\u001f\u007f]/.test(s)) return 'type';
  return s;
}
