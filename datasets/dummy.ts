// Dummy data for developers: an independent synthetic draw with the vault's schema and
// marginals. It is seeded apart from the vault and its codes carry the "MD" organisation
// prefix (the vault's carry "MA"), so no dummy merchant is a vault merchant. Everything is
// visible here, the label included, so a fintech can fit and test a model.
import { catalog, numericFields } from './catalog.js';
import { datasetError } from './errors.js';
import { CHUNK, generateChunk } from './generator.js';
import { mixSeed } from './rng.js';

export const MAX_DUMMY_SUBJECTS = 100_000;
/** Dummy data is drawn from its own stream, never the vault's. */
const DUMMY_STREAM = 0x64756d6d; // "dumm"

export interface DummyTable {
  /** Every catalog field, in catalog order. */
  columns: string[];
  /** Numbers as the model sees them (category index, 0/1, yyyymmdd); null where missing. */
  rows: (string | number | null)[][];
}

export function dummyTable(subjects: number, seed: number): DummyTable {
  if (!Number.isInteger(subjects) || subjects < 1 || subjects > MAX_DUMMY_SUBJECTS) throw datasetError('DATASET_BAD_COUNT');
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw datasetError('DATASET_BAD_SEED');
  const all = catalog();
  const numeric = numericFields();
  const colOf = new Map(numeric.map((f, i) => [f.name, i]));
  const pop = { seed: mixSeed(seed, DUMMY_STREAM), prefix: 'MD' as const };
  const rows: (string | number | null)[][] = [];
  for (let c = 0; c * CHUNK < subjects; c++) {
    const n = Math.min(CHUNK, subjects - c * CHUNK);
    const chunk = generateChunk(pop, c, n);
    for (let i = 0; i < n; i++) {
      rows.push(
        all.map((f) => {
          if (f.name === 'uscc') return chunk.uscc[i] as string;
          if (f.name === 'merchant_name') return chunk.names[i] as string;
          const v = (chunk.columns[colOf.get(f.name) as number] as Float64Array)[i] as number;
          return Number.isNaN(v) ? null : v;
        }),
      );
    }
  }
  return { columns: all.map((f) => f.name), rows };
}

export function dummyJson(t: DummyTable): Record<string, string | number | null>[] {
  return t.rows.map((r) => Object.fromEntries(t.columns.map((c, j) => [c, r[j] ?? null])));
}

const csvCell = (v: string | number | null): string => {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function dummyCsv(t: DummyTable): string {
  return [t.columns.join(','), ...t.rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n';
}

export interface DummyMatrix {
  /** subjects x fields, row-major; NaN where missing. */
  data: Float64Array;
  usccs: string[];
}

/** Dummy values of the given fields, shaped as a vault projection (for dry runs). */
export function dummyMatrix(fields: readonly string[], subjects: number, seed: number): DummyMatrix {
  if (!Number.isInteger(subjects) || subjects < 1 || subjects > MAX_DUMMY_SUBJECTS) throw datasetError('DATASET_BAD_COUNT');
  const numeric = numericFields();
  const cols = fields.map((f) => {
    const i = numeric.findIndex((x) => x.name === f);
    if (i < 0) throw datasetError('DATASET_UNKNOWN_FIELD', { detail: f.slice(0, 64) });
    if (!(numeric[i] as { modelReadable: boolean }).modelReadable) throw datasetError('DATASET_FIELD_NOT_READABLE', { detail: f });
    return i;
  });
  const k = fields.length;
  const data = new Float64Array(subjects * k);
  const usccs: string[] = [];
  const pop = { seed: mixSeed(seed, DUMMY_STREAM), prefix: 'MD' as const };
  for (let c = 0; c * CHUNK < subjects; c++) {
    const n = Math.min(CHUNK, subjects - c * CHUNK);
    const chunk = generateChunk(pop, c, n);
    for (let i = 0; i < n; i++) {
      usccs.push(chunk.uscc[i] as string);
      const row = (c * CHUNK + i) * k;
      for (let j = 0; j < k; j++) data[row + j] = (chunk.columns[cols[j] as number] as Float64Array)[i] as number;
    }
  }
  return { data, usccs };
}

/**
 * The default label of the same dummy merchants as dummyMatrix(..., subjects, seed), row for
 * row: dummy data holds no secret, so a developer's local backtest may read it.
 */
export function dummyLabels(subjects: number, seed: number): Float64Array {
  if (!Number.isInteger(subjects) || subjects < 1 || subjects > MAX_DUMMY_SUBJECTS) throw datasetError('DATASET_BAD_COUNT');
  const col = numericFields().findIndex((f) => f.name === 'default_12m');
  const out = new Float64Array(subjects);
  const pop = { seed: mixSeed(seed, DUMMY_STREAM), prefix: 'MD' as const };
  for (let c = 0; c * CHUNK < subjects; c++) {
    const n = Math.min(CHUNK, subjects - c * CHUNK);
    out.set((generateChunk(pop, c, n).columns[col] as Float64Array).subarray(0, n), c * CHUNK);
  }
  return out;
}
