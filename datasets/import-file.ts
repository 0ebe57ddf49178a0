// Reading one import file: UTF-8 CSV (RFC 4180: a header row, fields quoted with "", quotes
// doubled, quoted line breaks) or JSON lines (one object per line). The format is told by
// the first character that is not white space: "{" is JSON lines, anything else CSV. Rows
// come out one at a time, each with the line it starts on, so nothing holds the whole table
// as text cells.
import fs from 'node:fs';
import type { Cell } from './import-rules.js';
import { ImportError } from './import-report.js';

export type ImportFormat = 'csv' | 'jsonl';

export interface ImportRow {
  /** 1-based line of the file where the row starts. */
  line: number;
  cells: Cell[];
}

export interface ImportTable {
  format: ImportFormat;
  columns: string[];
  /** The header's line (CSV) or the first object's (JSON lines). */
  headerLine: number;
  rows(): Generator<ImportRow>;
  /** Characters read so far, and in all (for a progress bar). */
  read(): { done: number; total: number };
}

/** Reads the file's bytes, at most `maxBytes` of them (the file is not read past the limit). */
export function readImportBytes(file: string, source: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (cause) {
    throw new ImportError('DATASET_IMPORT_UNREADABLE', [], 0, { cause, detail: source });
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new ImportError('DATASET_IMPORT_UNREADABLE', [], 0, { detail: source });
    if (st.size > maxBytes) throw new ImportError('DATASET_IMPORT_TOO_LARGE', [], 0, { detail: `${source}: over ${maxBytes} bytes` });
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = fs.readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    fs.closeSync(fd);
  }
}

function decode(bytes: Buffer, source: string): string {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (cause) {
    throw new ImportError('DATASET_IMPORT_MALFORMED', [{ source, line: 1, column: '', rule: 'encoding' }], 1, { cause, detail: source });
  }
}

const malformed = (source: string, line: number, rule: string) => new ImportError('DATASET_IMPORT_MALFORMED', [{ source, line, column: '', rule }], 1, { detail: source });

/** CSV records with the line each starts on; throws on an unterminated quote or a stray one. */
function* csvRecords(text: string, source: string, at: { i: number }): Generator<{ line: number; cells: string[] }> {
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const cells: string[] = [];
    let cell = '';
    for (;;) {
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw malformed(source, start, 'unterminated-quote');
          const ch = text[i] as string;
          if (ch === '"') {
            if (text[i + 1] === '"') {
              cell += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === '\n') line++;
          cell += ch;
          i++;
        }
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') throw malformed(source, line, 'text-after-quote');
      } else {
        let j = i;
        while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') {
          if (text[j] === '"') throw malformed(source, line, 'stray-quote');
          j++;
        }
        cell = text.slice(i, j);
        i = j;
      }
      cells.push(cell);
      cell = '';
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') {
        i++;
        line++;
      }
      break;
    }
    at.i = i;
    // a blank line is no record
    if (!(cells.length === 1 && cells[0] === '')) yield { line: start, cells };
  }
}

function csvTable(text: string, source: string): ImportTable {
  const at = { i: 0 };
  const records = csvRecords(text, source, at);
  const first = records.next();
  if (first.done) throw new ImportError('DATASET_IMPORT_EMPTY', [], 0, { detail: source });
  const columns = first.value.cells.map((c) => c.trim());
  const headerLine = first.value.line;
  return {
    format: 'csv',
    columns,
    headerLine,
    read: () => ({ done: at.i, total: text.length }),
    *rows() {
      for (const r of records) {
        if (r.cells.length !== columns.length) throw malformed(source, r.line, `cells-${r.cells.length}-of-${columns.length}`);
        yield { line: r.line, cells: r.cells };
      }
    },
  };
}

function* jsonObjects(text: string, source: string, at: { i: number }): Generator<{ line: number; object: Record<string, unknown> }> {
  let line = 0;
  for (const raw of text.split('\n')) {
    line++;
    at.i += raw.length + 1;
    const s = raw.trim();
    if (s === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch {
      throw malformed(source, line, 'json');
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw malformed(source, line, 'not-an-object');
    yield { line, object: v as Record<string, unknown> };
  }
}

/** A JSON value as a cell; an array or an object becomes NaN, which every field's type refuses. */
const jsonCell = (v: unknown): Cell => (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : NaN);

function jsonTable(text: string, source: string): ImportTable {
  const at = { i: 0 };
  const objects = jsonObjects(text, source, at);
  const first = objects.next();
  if (first.done) throw new ImportError('DATASET_IMPORT_EMPTY', [], 0, { detail: source });
  const columns = Object.keys(first.value.object);
  const known = new Set(columns);
  const row = (r: { line: number; object: Record<string, unknown> }): ImportRow => {
    for (const [i, k] of Object.keys(r.object).entries()) {
      // by its position among the row's keys, never its text (see datasets/import.ts)
      if (!known.has(k)) throw new ImportError('DATASET_IMPORT_UNKNOWN_COLUMN', [{ source, line: r.line, column: `#${i + 1}`, rule: 'unknown-column' }], 1, { detail: source });
    }
    return { line: r.line, cells: columns.map((c) => (Object.hasOwn(r.object, c) ? jsonCell(r.object[c]) : null)) };
  };
  return {
    format: 'jsonl',
    columns,
    headerLine: first.value.line,
    read: () => ({ done: Math.min(at.i, text.length), total: text.length }),
    *rows() {
      yield row(first.value);
      for (const r of objects) yield row(r);
    },
  };
}

export function parseImport(bytes: Buffer, source: string): ImportTable {
  const text = decode(bytes, source);
  const firstChar = /\S/.exec(text)?.[0];
  if (firstChar === undefined) throw new ImportError('DATASET_IMPORT_EMPTY', [], 0, { detail: source });
  return firstChar === '{' ? jsonTable(text, source) : csvTable(text, source);
}
