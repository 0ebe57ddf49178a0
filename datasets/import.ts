// Loading real data: the next version of the vault's lineage from source files. A source is
// one of the catalog's sources (the department a field comes from: registration, tax,
// judicial, electricity, social_insurance, carrier, and platform for the default label);
// its file holds `uscc` and every field of that source, one merchant per row. Every value
// is checked against the catalog before anything is written (import-rules.ts); a file with
// any bad value is refused whole.
//
// How the next version is made from the current one:
// - registration given: its merchants are the population (sorted by USCC, so the same content
//   gives the same version whatever the row order); otherwise the current vault's merchants;
// - a source given: its fields come from its file, joined on uscc; a merchant of the
//   population missing from the file has no value (NaN) in that source; a row whose uscc is
//   not in the population is refused (`unknown-subject`);
// - a source not given: its fields are carried over from the current version, by uscc
//   (NaN for a merchant the current version does not hold).
// The dataset id and lineage are the current version's: budgets follow the lineage.
import { createHash } from 'node:crypto';
import { catalog, numericFields, SOURCES, type Field, type Source } from './catalog.js';
import { datasetError } from './errors.js';
import { CHUNK } from './generator.js';
import { parseImport, readImportBytes, type ImportFormat } from './import-file.js';
import { ImportError, ProblemList } from './import-report.js';
import { textOf, valueOf } from './import-rules.js';
import { MAX_SUBJECTS, writeVault, type SeedSummary, type Vault, type VaultChunk } from './store.js';
import { isValidUscc } from './uscc.js';

/** Default size limit of one import file. */
export const DEFAULT_MAX_IMPORT_BYTES = 256 * 1024 * 1024;

export interface SourceFile {
  source: string;
  file: string;
}

export interface LoadedSource {
  source: Source;
  format: ImportFormat;
  /** SHA-256 of the file's bytes, as `sha256:<hex>`. */
  digest: string;
  rows: number;
  /** Fields of the source (uscc excluded), in catalog order. */
  fields: readonly Field[];
  usccs: string[];
  lines: Int32Array;
  /** registration only: merchant names, by row */
  names: string[] | null;
  /** One column of stored numbers per numeric field of `fields`, by row. */
  values: Map<string, Float64Array>;
}

/** The fields a source's file must hold (besides uscc). */
export function sourceFields(source: Source): Field[] {
  return catalog().filter((f) => f.source === source && f.name !== 'uscc');
}

export function isSource(s: string): s is Source {
  return Object.hasOwn(SOURCES, s);
}

/** Reads and checks one source file. Throws an ImportError with the report; writes nothing. */
export function loadSource(sf: SourceFile, maxBytes = DEFAULT_MAX_IMPORT_BYTES, onProgress?: (done: number, total: number) => void): LoadedSource {
  if (!isSource(sf.source)) throw datasetError('DATASET_IMPORT_BAD_SOURCE', { detail: sf.source.slice(0, 32) });
  const source = sf.source;
  const bytes = readImportBytes(sf.file, source, maxBytes);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const table = parseImport(bytes, source);

  // the header: uscc and exactly the source's fields, each once
  const fields = sourceFields(source);
  const expected = new Set(['uscc', ...fields.map((f) => f.name)]);
  const header = new ProblemList();
  const seen = new Set<string>();
  for (const [i, c] of table.columns.entries()) {
    // an unknown column is named by its position, never by its text: a file exported without
    // its header row would otherwise put a merchant's values in the report
    if (!expected.has(c)) header.add({ source, line: table.headerLine, column: `#${i + 1}`, rule: 'unknown-column' });
    else if (seen.has(c)) header.add({ source, line: table.headerLine, column: c, rule: 'repeated-column' });
    seen.add(c);
  }
  if (header.total) throw new ImportError('DATASET_IMPORT_UNKNOWN_COLUMN', header.listed, header.total, { detail: source });
  for (const c of expected) if (!seen.has(c)) header.add({ source, line: table.headerLine, column: c, rule: 'missing-column' });
  if (header.total) throw new ImportError('DATASET_IMPORT_MISSING_COLUMN', header.listed, header.total, { detail: source });

  const at = new Map(table.columns.map((c, j) => [c, j]));
  const usccAt = at.get('uscc') as number;
  const numeric = fields.filter((f) => f.type !== 'text');
  const nameField = fields.find((f) => f.name === 'merchant_name');
  const grow: Record<string, number[]> = Object.fromEntries(numeric.map((f) => [f.name, []]));
  const usccs: string[] = [];
  const lines: number[] = [];
  const names: string[] | null = nameField ? [] : null;
  const firstLine = new Map<string, number>();
  const problems = new ProblemList();
  for (const row of table.rows()) {
    const p = (column: string, rule: string) => problems.add({ source, line: row.line, column, rule });
    const code = textOf(row.cells[usccAt]);
    if (code === 'required') p('uscc', 'uscc-missing');
    else if (code === 'type' || !isValidUscc(code)) p('uscc', 'uscc-check');
    else if (firstLine.has(code)) p('uscc', 'uscc-duplicate');
    else firstLine.set(code, row.line);
    if (names) {
      const name = textOf(row.cells[at.get('merchant_name') as number]);
      if (name === 'required' || name === 'type') p('merchant_name', name);
      names.push(typeof name === 'string' ? name : '');
    }
    for (const f of numeric) {
      const v = valueOf(f, row.cells[at.get(f.name) as number]);
      if (typeof v === 'string') p(f.name, v);
      (grow[f.name] as number[]).push(typeof v === 'number' ? v : NaN);
    }
    usccs.push(typeof code === 'string' ? code : '');
    lines.push(row.line);
    if (usccs.length > MAX_SUBJECTS) throw datasetError('DATASET_BAD_COUNT');
    if (onProgress && usccs.length % 256 === 0) {
      const r = table.read();
      onProgress(r.done, r.total);
    }
  }
  if (problems.total) throw new ImportError('DATASET_IMPORT_INVALID', problems.listed, problems.total, { detail: source });
  if (usccs.length === 0) throw new ImportError('DATASET_IMPORT_EMPTY', [], 0, { detail: source });
  return {
    source,
    format: table.format,
    digest,
    rows: usccs.length,
    fields,
    usccs,
    lines: Int32Array.from(lines),
    names,
    values: new Map(numeric.map((f) => [f.name, Float64Array.from(grow[f.name] as number[])])),
  };
}

/** Reads and checks every file: refused as a whole at the first file with a problem. */
export function loadSources(files: readonly SourceFile[], maxBytes = DEFAULT_MAX_IMPORT_BYTES, onProgress?: (source: string, done: number, total: number) => void): LoadedSource[] {
  if (files.length === 0) throw datasetError('DATASET_IMPORT_BAD_SOURCE', { detail: 'none given' });
  const names = files.map((f) => f.source);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated !== undefined) throw datasetError('DATASET_IMPORT_BAD_SOURCE', { detail: repeated.slice(0, 32) });
  for (const n of names) if (!isSource(n)) throw datasetError('DATASET_IMPORT_BAD_SOURCE', { detail: n.slice(0, 32) });
  return files.map((f) => loadSource(f, maxBytes, onProgress && ((d, t) => onProgress(f.source, d, t))));
}

export interface PlannedVersion {
  subjects: number;
  /** Sources given, in the order given. */
  sources: { source: Source; format: ImportFormat; digest: string; rows: number }[];
  write(tmp: string, onProgress?: (done: number, total: number) => void): SeedSummary;
}

/**
 * Joins the checked sources with the current version (see the top of this file) and checks
 * the join: a row of a source whose merchant is not in the population is refused.
 */
export function planVersion(current: Vault, loaded: readonly LoadedSource[]): PlannedVersion {
  const reg = loaded.find((l) => l.source === 'registration');
  let usccs: string[];
  let names: string[];
  if (reg) {
    const order = Array.from(reg.usccs.keys()).sort((a, b) => ((reg.usccs[a] as string) < (reg.usccs[b] as string) ? -1 : 1));
    usccs = order.map((i) => reg.usccs[i] as string);
    names = order.map((i) => (reg.names as string[])[i] as string);
  } else ({ uscc: usccs, names } = current.subjectList());
  const n = usccs.length;
  const indexOf = new Map(usccs.map((u, i) => [u, i]));

  // for each given source: the file row of each merchant of the population, or -1
  const problems = new ProblemList();
  const rowOf = new Map<Source, Int32Array>();
  for (const l of loaded) {
    const r = new Int32Array(n).fill(-1);
    l.usccs.forEach((u, row) => {
      const i = indexOf.get(u);
      if (i === undefined) problems.add({ source: l.source, line: l.lines[row] as number, column: 'uscc', rule: 'unknown-subject' });
      else r[i] = row;
    });
    rowOf.set(l.source, r);
  }
  if (problems.total) throw new ImportError('DATASET_IMPORT_INVALID', problems.listed, problems.total, { detail: 'join on uscc' });

  const numeric = numericFields();
  const bySource = new Map(loaded.map((l) => [l.source, l]));
  const carried = numeric.filter((f) => !bySource.has(f.source)).map((f) => f.name);
  const carriedAt = new Map(carried.map((name, j) => [name, j]));
  const oldIndex = current.resolve(usccs);
  return {
    subjects: n,
    sources: loaded.map((l) => ({ source: l.source, format: l.format, digest: l.digest, rows: l.rows })),
    write(tmp, onProgress) {
      const chunk = (c: number, len: number): VaultChunk => {
        const from = c * CHUNK;
        const old = carried.length ? current.carry(carried, oldIndex.subarray(from, from + len)) : new Float64Array(0);
        const columns = numeric.map((f) => {
          const col = new Float64Array(len);
          const l = bySource.get(f.source);
          if (l) {
            const rows = rowOf.get(l.source) as Int32Array;
            const values = l.values.get(f.name) as Float64Array;
            for (let i = 0; i < len; i++) {
              const row = rows[from + i] as number;
              col[i] = row < 0 ? NaN : (values[row] as number);
            }
          } else {
            const j = carriedAt.get(f.name) as number;
            for (let i = 0; i < len; i++) col[i] = old[i * carried.length + j] as number;
          }
          return col;
        });
        return { uscc: usccs.slice(from, from + len), names: names.slice(from, from + len), columns };
      };
      return writeVault(tmp, {
        subjects: n,
        chunk,
        dataset: current.info.id,
        lineage: current.info.lineage,
        meta: { previousVersion: current.info.version, importedSources: loaded.map((l) => l.source).join(',') },
        onProgress,
      });
    },
  };
}
