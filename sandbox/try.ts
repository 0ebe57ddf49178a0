// `dfix model try`: a package run in the real executor (its vetting lane) on dummy data or on
// rows the developer gives, as a developer sees it: with --raw, each row's raw model output
// (probability, margin or points, before the lattice) beside its score, so anyone can
// compare the platform with the library that trained the model. Dummy rows hold no secret.
import { DEFAULTS } from '../core/config.js';
import { isAppError } from '../core/errors.js';
import { catalog } from '../datasets/catalog.js';
import { dummyMatrix } from '../datasets/dummy.js';
import { modelError } from '../models/errors.js';
import { parseManifest, type ModelPackage } from '../models/package.js';
import { runtimeModule } from '../models/runtime.js';
import type { Executor, Mode } from '../workers/client.js';
import { checkedScores, contractOf, subjectScores, type SubjectScore } from './scoring.js';

export type TryOutput = SubjectScore & { subject: string; raw?: number | null };
/** The model's own first error on these (dummy or developer-given) rows: message, line, column, stack. */
export type TryDebug = { subject: string; message: string; line: number | null; column: number | null; stack: string };
export type TryResult = { ok: true; outputs: TryOutput[]; firstError?: TryDebug } | { ok: false; error: { code: string } & Partial<TryDebug> };

/** Rows to score: dummy merchants, or a CSV of catalog field names (empty = missing). */
export type TryRows = { dummy: number } | { csv: string };

/** Parses a CSV of catalog field names; throws MODEL_ROWS_INVALID naming the line and column. */
export function rowsFromCsv(text: string, inputs: readonly string[]): { data: Float64Array; labels: string[] } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const col = inputs.map((f) => header.indexOf(f));
  const missing = inputs.filter((_, j) => (col[j] as number) < 0);
  if (missing.length) throw modelError('MODEL_ROWS_INVALID', { detail: `no column ${missing.slice(0, 3).join(', ')}` });
  const rows = lines.slice(1);
  if (rows.length === 0 || rows.length > 10_000) throw modelError('MODEL_ROWS_INVALID', { detail: 'between 1 and 10000 rows' });
  const data = new Float64Array(rows.length * inputs.length).fill(NaN);
  const idCol = header.indexOf('uscc');
  const labels: string[] = [];
  rows.forEach((line, i) => {
    const cells = line.split(',');
    labels.push(idCol >= 0 ? (cells[idCol] ?? '').trim() : `row ${i + 1}`);
    inputs.forEach((f, j) => {
      const cell = (cells[col[j] as number] ?? '').trim();
      if (cell === '') return;
      const v = Number(cell);
      if (!Number.isFinite(v)) throw modelError('MODEL_ROWS_INVALID', { detail: `line ${i + 2}, column ${f}` });
      data[i * inputs.length + j] = v;
    });
  });
  return { data, labels };
}

export async function tryPackage(pkg: ModelPackage, executor: Executor, rows: TryRows, mode: Mode, options: { raw?: boolean } = {}): Promise<TryResult> {
  const manifest = parseManifest(pkg.manifestJson);
  if (!manifest) throw modelError('MODEL_MANIFEST_INVALID');
  const runtime = runtimeModule(manifest, pkg.source, catalog());
  const given = 'csv' in rows ? rowsFromCsv(rows.csv, manifest.inputs) : null;
  const dummy = 'dummy' in rows ? dummyMatrix(manifest.inputs, rows.dummy, DEFAULTS.seed) : null;
  const data = (given?.data ?? dummy?.data) as Float64Array;
  const labels = given?.labels ?? dummy?.usccs ?? [];
  const n = labels.length;
  try {
    const base = { fields: manifest.inputs, reasons: manifest.output.reasons, lane: 'vetting' as const };
    const r = await executor.execute({ ...base, mode, source: runtime.source, data });
    const contract = contractOf(manifest);
    const checked = checkedScores(r, n, contract);
    const scored = subjectScores(checked.scores, checked.reasons, n, contract);
    let raw: Float64Array | null = null;
    if (options.raw) {
      const source = runtime.rawSource ?? runtime.source;
      raw = (await executor.execute({ ...base, mode: 'cohort', source, data })).scores;
    }
    const outputs = scored.map((s, i) => ({ subject: labels[i] as string, ...s, ...(raw ? { raw: Number.isNaN(raw[i] as number) ? null : (raw[i] as number) } : {}) }));
    // merchants that got the default output because the model threw on them: say why
    const firstError = r.failed.some((f) => f === 1) ? await debug(executor, runtime.source, manifest.inputs, data, labels) : undefined;
    return { ok: true, outputs, ...(firstError ? { firstError } : {}) };
  } catch (e) {
    if (isAppError(e) && e.kind !== 'internal' && e.kind !== 'invalid') {
      const found = e.code === 'SANDBOX_MODEL_ERROR' ? await debug(executor, runtime.source, manifest.inputs, data, labels) : undefined;
      return { ok: false, error: { code: e.code, ...(found ?? {}) } };
    }
    throw e;
  }
}

/** The model's own first error on these rows (never vault rows: this is a developer's tool). */
async function debug(executor: Executor, source: string, fields: readonly string[], data: Float64Array, labels: readonly string[]): Promise<TryDebug | undefined> {
  const e = await executor.debugOnDummyRows(source, fields, data).catch(() => null);
  if (!e) return undefined;
  return { subject: labels[e.row] ?? '(module)', message: e.message, line: e.line, column: e.column, stack: e.stack };
}
