// The government data vault: its own SQLite file, separate from the platform's state,
// built once (write beside, then rename) and opened read-only for runs. Values are stored
// column by column in chunks of CHUNK subjects (little-endian float64, NaN where missing),
// so a projection reads only the declared fields and never builds a row object.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import { canonicalize } from '../core/canonical-json.js';
import { ensureDir } from '../core/fs.js';
import { openDatabase, stmt as cached, type Db } from '../core/sqlite.js';
import { catalog, fieldSchema, numericFields, SEGMENT_KEYS, type Field, type SegmentKey } from './catalog.js';
import { datasetError } from './errors.js';
import { CHUNK, generateChunk } from './generator.js';

export const DATASET_ID = 'sip-merchants';
export const MAX_SUBJECTS = 5_000_000;
const FORMAT = 'dfix-vault-v1';

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE fields (idx INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, col INTEGER, spec TEXT NOT NULL);
CREATE TABLE subjects (idx INTEGER PRIMARY KEY, uscc TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
-- id = column * 65536 + chunk
CREATE TABLE columns (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
`;

const columnId = (col: number, chunk: number): number => col * 65536 + chunk;
/** Reads of at most this many merchants go through the chunk cache (32 KiB a chunk, 32 MiB in all). */
const SELECTIVE_ROWS = 4096;
const RECENT_CHUNKS = 1024;

export interface SeedOptions {
  subjects: number;
  seed: number;
  force?: boolean;
  /** Called after each chunk of merchants is written (for a progress bar). */
  onProgress?: (done: number, total: number) => void;
}

export interface SeedSummary {
  subjects: number;
  fields: number;
  sources: number;
  datasetVersion: string;
  defaultRate: number;
}

function bytesOf(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** One chunk of merchants to write: codes, names, and one column per numericFields() entry. */
export interface VaultChunk {
  uscc: readonly string[];
  names: readonly string[];
  columns: readonly Float64Array[];
}

/** What a vault is built from: its size, its chunks in order, and its lineage. */
export interface VaultContent {
  subjects: number;
  chunk(c: number, n: number): VaultChunk;
  /** The dataset's id and lineage (a new version of the same merchants keeps both). */
  dataset: string;
  lineage: string;
  /** Extra meta rows (seed, previous version, ...); never merchant values. */
  meta: Record<string, string>;
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/** Builds the vault at `file`. Nothing is left half-written: the file appears by rename. */
export function seedVault(file: string, options: SeedOptions): SeedSummary {
  const { subjects, seed } = options;
  if (!Number.isInteger(subjects) || subjects < 1 || subjects > MAX_SUBJECTS) throw datasetError('DATASET_BAD_COUNT');
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw datasetError('DATASET_BAD_SEED');
  if (fs.existsSync(file) && !options.force) throw datasetError('DATASET_VAULT_EXISTS');
  const tmp = `${file}.tmp-${process.pid}`;
  const summary = writeVault(tmp, {
    subjects,
    chunk: (c, n) => generateChunk({ seed, prefix: 'MA' }, c, n),
    dataset: DATASET_ID,
    lineage: DATASET_ID,
    meta: { seed: String(seed) },
    onProgress: options.onProgress,
  });
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw datasetError('DATASET_DIR_UNWRITABLE', { cause: e });
  }
  return summary;
}

/**
 * Writes a complete vault at `tmp` (a path beside its target; the caller renames it into
 * place). Any failure removes it. Mode 0600: the executor's unprivileged user must not read it.
 */
export function writeVault(tmp: string, content: VaultContent): SeedSummary {
  try {
    ensureDir(path.dirname(tmp), 0o700);
    fs.accessSync(path.dirname(tmp), fs.constants.W_OK);
  } catch (cause) {
    throw datasetError('DATASET_DIR_UNWRITABLE', { cause });
  }
  fs.rmSync(tmp, { force: true });
  let db: Db | undefined;
  try {
    db = openDatabase(tmp, { bulk: true });
    const summary = build(db, content);
    db.close();
    db = undefined;
    fs.chmodSync(tmp, 0o600);
    return summary;
  } catch (e) {
    db?.close();
    fs.rmSync(tmp, { force: true });
    if (e instanceof Error && 'code' in e && (e.code === 'EACCES' || e.code === 'EROFS' || e.code === 'ENOSPC')) {
      throw datasetError('DATASET_DIR_UNWRITABLE', { cause: e });
    }
    throw e;
  }
}

function build(db: Db, content: VaultContent): SeedSummary {
  const { subjects } = content;
  db.exec(SCHEMA);
  const all = catalog();
  const numeric = numericFields();
  const colOf = new Map(numeric.map((f, i) => [f.name, i]));
  const insertField = db.prepare('INSERT INTO fields (idx, name, col, spec) VALUES (?, ?, ?, ?)');
  const insertSubject = db.prepare('INSERT INTO subjects (idx, uscc, name) VALUES (?, ?, ?)');
  const insertColumn = db.prepare('INSERT INTO columns (id, data) VALUES (?, ?)');
  const insertMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');

  // The version digest covers the catalog, then chunk by chunk the subjects and columns.
  const digest = createHash('sha256');
  digest.update(`${FORMAT}\n${canonicalize(all)}\n`);
  db.transaction(() => all.forEach((f, i) => insertField.run(i, f.name, colOf.get(f.name) ?? null, JSON.stringify(f))))();

  const labelCol = colOf.get('default_12m') as number;
  let defaults = 0;
  let labelled = 0;
  const chunks = Math.ceil(subjects / CHUNK);
  const writeChunk = db.transaction((c: number) => {
    const n = Math.min(CHUNK, subjects - c * CHUNK);
    const chunk = content.chunk(c, n);
    for (let i = 0; i < n; i++) {
      const idx = c * CHUNK + i;
      insertSubject.run(idx, chunk.uscc[i], chunk.names[i]);
      digest.update(`${chunk.uscc[i]}\t${chunk.names[i]}\n`);
    }
    chunk.columns.forEach((values, col) => {
      const bytes = bytesOf(values);
      insertColumn.run(columnId(col, c), bytes);
      digest.update(bytes);
    });
    for (const v of chunk.columns[labelCol] as Float64Array) {
      if (Number.isNaN(v)) continue;
      defaults += v;
      labelled++;
    }
  });
  for (let c = 0; c < chunks; c++) {
    writeChunk(c);
    content.onProgress?.(Math.min(subjects, (c + 1) * CHUNK), subjects);
  }

  const version = `sha256:${digest.digest('hex')}`;
  const defaultRate = labelled ? Math.round((defaults / labelled) * 10000) / 10000 : 0;
  db.transaction(() => {
    for (const [k, v] of Object.entries({
      ...content.meta,
      format: FORMAT,
      dataset: content.dataset,
      lineage: content.lineage,
      version,
      subjects: String(subjects),
      chunk: String(CHUNK),
      defaultRate: String(defaultRate),
      createdAt: new Date().toISOString(),
    })) insertMeta.run(k, v);
  })();
  return {
    subjects,
    fields: all.length,
    sources: new Set(all.map((f) => f.source).filter((s) => s !== 'platform')).size,
    datasetVersion: version,
    defaultRate,
  };
}

/** Public cohort predicates: category codes of the S1 segment fields. */
export type Cohort = Partial<Record<SegmentKey, string>>;

export interface Projection {
  /** n x k row-major: subject i's field j at data[i * k + j]; NaN where missing. */
  data: Float64Array;
  fields: readonly string[];
  /** Vault indexes of the rows, in row order. */
  subjects: Int32Array;
}

export interface DatasetInfo {
  id: string;
  /**
   * The population the data describes. Budgets follow it, not the content digest: a new
   * version of the same merchants continues the same spend.
   */
  lineage: string;
  version: string;
  subjects: number;
  fields: number;
}

/** A read-only handle on a built vault. */
export class Vault {
  readonly info: DatasetInfo;
  private readonly db: Db;
  private readonly fieldList: readonly Field[];
  private readonly colOf: ReadonlyMap<string, number>;
  private readonly byName: ReadonlyMap<string, Field>;
  private readonly readColumn: (id: number) => { data: Buffer } | undefined;
  /** Decoded column chunks for selective reads (a few merchants at a time). */
  private readonly recent = new LRUCache<number, Float64Array>({ max: RECENT_CHUNKS });

  private constructor(db: Db) {
    this.db = db;
    const meta = new Map((db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
    if (meta.get('format') !== FORMAT || meta.get('chunk') !== String(CHUNK)) throw datasetError('DATASET_VAULT_CORRUPT');
    const rows = db.prepare('SELECT name, col, spec FROM fields ORDER BY idx').all() as { name: string; col: number | null; spec: string }[];
    // rows come from a file on disk: parse them at the door
    this.fieldList = Object.freeze(rows.map((r) => Object.freeze(fieldSchema.parse(JSON.parse(r.spec)))));
    this.byName = new Map(this.fieldList.map((f) => [f.name, f]));
    this.colOf = new Map(rows.filter((r) => r.col !== null).map((r) => [r.name, r.col as number]));
    this.info = Object.freeze({
      id: meta.get('dataset') ?? DATASET_ID,
      lineage: meta.get('lineage') ?? meta.get('dataset') ?? DATASET_ID,
      version: meta.get('version') ?? '',
      subjects: Number(meta.get('subjects')),
      fields: rows.length,
    });
    const stmt = db.prepare('SELECT data FROM columns WHERE id = ?');
    this.readColumn = (id) => stmt.get(id) as { data: Buffer } | undefined;
  }

  static open(file: string): Vault {
    if (!fs.existsSync(file)) throw datasetError('DATASET_VAULT_MISSING');
    return new Vault(openDatabase(file, { readonly: true }));
  }

  close(): void {
    this.db.close();
  }

  fields(): readonly Field[] {
    return this.fieldList;
  }

  /** Fields a model may declare; throws on an unknown or unreadable one. */
  checkReadable(names: readonly string[]): void {
    for (const name of names) {
      const f = this.byName.get(name);
      if (!f) throw datasetError('DATASET_UNKNOWN_FIELD', { detail: name.slice(0, 64) });
      if (!f.modelReadable) throw datasetError('DATASET_FIELD_NOT_READABLE', { detail: name });
    }
  }

  private chunkValues(col: number, chunk: number): Float64Array {
    const row = this.readColumn(columnId(col, chunk));
    if (!row) throw datasetError('DATASET_VAULT_CORRUPT');
    const b = row.data;
    if (b.byteOffset % 8 === 0) return new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8);
    return new Float64Array(new Uint8Array(b).buffer);
  }

  /**
   * A chunk for a selective read, kept in a bounded LRU: scoring one merchant touches one
   * chunk of each declared field, and the next merchant most likely the same chunks. The
   * vault is read-only while open, so a cached chunk is never stale.
   */
  private recentChunk(col: number, chunk: number): Float64Array {
    const id = columnId(col, chunk);
    const hit = this.recent.get(id);
    if (hit) return hit;
    const v = this.chunkValues(col, chunk);
    this.recent.set(id, v);
    return v;
  }

  /**
   * Model-readable fields for a subject set (vault indexes, any order; null for all), as
   * one row-major Float64Array. Rows follow `subjects`.
   */
  project(fields: readonly string[], subjects: Int32Array | null): Projection {
    this.checkReadable(fields);
    return this.gather(fields, subjects);
  }

  /** The hidden default label, for the platform's backtests only (never model input). */
  labels(subjects: Int32Array | null): Float64Array {
    return this.gather(['default_12m'], subjects).data;
  }

  private gather(fields: readonly string[], subjects: Int32Array | null): Projection {
    const total = this.info.subjects;
    const order = subjects ?? Int32Array.from({ length: total }, (_, i) => i);
    const n = order.length;
    const k = fields.length;
    const cols = fields.map((f) => this.colOf.get(f) as number);
    const data = new Float64Array(n * k);
    const chunks = Math.ceil(total / CHUNK);
    if (subjects === null) {
      for (let c = 0; c < chunks; c++) {
        const base = c * CHUNK;
        for (let j = 0; j < k; j++) {
          const v = this.chunkValues(cols[j] as number, c);
          for (let i = 0, o = base * k + j; i < v.length; i++, o += k) data[o] = v[i] as number;
        }
      }
      return { data, fields: [...fields], subjects: order };
    }
    // Counting sort of row positions by chunk, so each column chunk is read once.
    const counts = new Int32Array(chunks + 1);
    for (let r = 0; r < n; r++) {
      const s = order[r] as number;
      if (s < 0 || s >= total) throw new RangeError('subject index out of range');
      (counts[Math.floor(s / CHUNK) + 1] as number)++;
    }
    for (let c = 1; c <= chunks; c++) counts[c] = (counts[c] as number) + (counts[c - 1] as number);
    const byChunk = new Int32Array(n);
    const cursor = counts.slice(0, chunks);
    for (let r = 0; r < n; r++) byChunk[(cursor[Math.floor((order[r] as number) / CHUNK)] as number)++] = r;
    for (let c = 0; c < chunks; c++) {
      const from = counts[c] as number;
      const to = counts[c + 1] as number;
      if (from === to) continue;
      const base = c * CHUNK;
      for (let j = 0; j < k; j++) {
        const v = n <= SELECTIVE_ROWS ? this.recentChunk(cols[j] as number, c) : this.chunkValues(cols[j] as number, c);
        for (let p = from; p < to; p++) {
          const r = byChunk[p] as number;
          data[r * k + j] = v[(order[r] as number) - base] as number;
        }
      }
    }
    return { data, fields: [...fields], subjects: order };
  }

  private atoms: Int32Array | null = null;

  /**
   * Merchants per "atom": one combination of the S1 segment categories (industry, district,
   * size band, registration-year band), indexed as budget.ts's atomsOf does. Public counts.
   */
  atomSizes(): Int32Array {
    if (this.atoms) return this.atoms;
    const keys = Object.keys(SEGMENT_KEYS) as SegmentKey[];
    const fields = keys.map((k) => this.fieldList.find((f) => f.name === SEGMENT_KEYS[k]) as Field);
    const radix = fields.map((f) => f.categories?.length ?? 1);
    const sizes = new Int32Array(radix.reduce((a, b) => a * b, 1));
    const cols = fields.map((f) => this.colOf.get(f.name) as number);
    const total = this.info.subjects;
    for (let c = 0; c * CHUNK < total; c++) {
      const values = cols.map((col) => this.chunkValues(col, c));
      const len = Math.min(CHUNK, total - c * CHUNK);
      for (let i = 0; i < len; i++) {
        let atom = 0;
        for (let j = 0; j < values.length; j++) atom = atom * (radix[j] as number) + ((values[j] as Float64Array)[i] as number);
        (sizes[atom] as number)++;
      }
    }
    this.atoms = sizes;
    return sizes;
  }

  /** Vault indexes of the merchants matching every given public predicate, ascending. */
  cohort(predicates: Cohort): Int32Array {
    const tests: { col: number; code: number }[] = [];
    for (const [key, value] of Object.entries(predicates)) {
      if (value === undefined) continue;
      const fieldName = SEGMENT_KEYS[key as SegmentKey];
      const f = fieldName ? this.fieldList.find((x) => x.name === fieldName) : undefined;
      const code = f?.categories?.findIndex((c) => c.code === value) ?? -1;
      if (!f || code < 0) throw datasetError('DATASET_BAD_PREDICATE', { detail: key.slice(0, 32) });
      tests.push({ col: this.colOf.get(f.name) as number, code });
    }
    const total = this.info.subjects;
    const out = new Int32Array(total);
    let m = 0;
    const chunks = Math.ceil(total / CHUNK);
    for (let c = 0; c < chunks; c++) {
      const cols = tests.map((t) => this.chunkValues(t.col, c));
      const len = Math.min(CHUNK, total - c * CHUNK);
      for (let i = 0; i < len; i++) {
        let ok = true;
        for (let t = 0; t < tests.length && ok; t++) ok = (cols[t] as Float64Array)[i] === (tests[t] as { code: number }).code;
        if (ok) out[m++] = c * CHUNK + i;
      }
    }
    return out.slice(0, m);
  }

  /**
   * Vault indexes of the given codes, in the given order; -1 for a code not in the vault.
   * Callers must not reveal which codes were unknown.
   */
  resolve(usccs: readonly string[]): Int32Array {
    const stmt = cached(this.db, 'SELECT idx FROM subjects WHERE uscc = ?').pluck();
    return Int32Array.from(usccs, (u) => (stmt.get(u) as number | undefined) ?? -1);
  }

  usccOf(subjects: Int32Array): string[] {
    const stmt = cached(this.db, 'SELECT uscc FROM subjects WHERE idx = ?').pluck();
    return Array.from(subjects, (i) => stmt.get(i) as string);
  }

  /** Every merchant's code and name, in vault order (to build the next version of the vault). */
  subjectList(): { uscc: string[]; names: string[] } {
    const rows = this.db.prepare('SELECT uscc, name FROM subjects ORDER BY idx').all() as { uscc: string; name: string }[];
    return { uscc: rows.map((r) => r.uscc), names: rows.map((r) => r.name) };
  }

  /**
   * Stored values of numeric fields (the label included) for the given vault indexes, -1
   * giving NaN: what a new version carries over from this one (datasets/import.ts). Never
   * model input: models read through project().
   */
  carry(fields: readonly string[], subjects: Int32Array): Float64Array {
    for (const f of fields) if (!this.colOf.has(f)) throw datasetError('DATASET_UNKNOWN_FIELD', { detail: f.slice(0, 64) });
    const known: number[] = [];
    for (let r = 0; r < subjects.length; r++) if ((subjects[r] as number) >= 0) known.push(r);
    const got = this.gather(fields, Int32Array.from(known, (r) => subjects[r] as number)).data;
    const k = fields.length;
    const out = new Float64Array(subjects.length * k).fill(NaN);
    known.forEach((r, i) => out.set(got.subarray(i * k, (i + 1) * k), r * k));
    return out;
  }

  /** Recomputes the content digest and compares it with the recorded version. */
  verify(): boolean {
    const digest = createHash('sha256');
    digest.update(`${FORMAT}\n${canonicalize(this.fieldList)}\n`);
    const numericCount = this.colOf.size;
    const subjects = this.db.prepare('SELECT uscc, name FROM subjects WHERE idx >= ? AND idx < ? ORDER BY idx');
    const chunks = Math.ceil(this.info.subjects / CHUNK);
    for (let c = 0; c < chunks; c++) {
      for (const r of subjects.iterate(c * CHUNK, (c + 1) * CHUNK) as Iterable<{ uscc: string; name: string }>) {
        digest.update(`${r.uscc}\t${r.name}\n`);
      }
      for (let col = 0; col < numericCount; col++) {
        const row = this.readColumn(columnId(col, c));
        if (!row) return false;
        digest.update(row.data);
      }
    }
    return `sha256:${digest.digest('hex')}` === this.info.version;
  }
}

