// The one place better-sqlite3 is imported. Stores open databases through here so the
// pragmas (and the driver) are chosen once.
import Database from 'better-sqlite3';

export type Db = Database.Database;
export type Statement<P extends unknown[] = unknown[], R = unknown> = Database.Statement<P, R>;

export interface OpenOptions {
  readonly?: boolean;
  /** For bulk builds of a file that is renamed into place afterwards: no journal, no fsync. */
  bulk?: boolean;
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  if (options.readonly) {
    db.pragma('query_only = ON');
  } else if (options.bulk) {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
  } else {
    db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL survives a killed process intact (a power cut may lose the last
    // commits, never consistency): the ledger and the state it records stay in step.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  }
  db.pragma('cache_size = -65536');
  return db;
}

const cache = new WeakMap<Db, Map<string, Database.Statement>>();

/** A prepared statement, prepared once per database and reused. */
export function stmt(db: Db, sql: string): Database.Statement {
  let m = cache.get(db);
  if (!m) cache.set(db, (m = new Map()));
  let s = m.get(sql);
  if (!s) m.set(sql, (s = db.prepare(sql)));
  return s;
}

/**
 * Copies a database with SQLite's online backup API: safe while other connections (a
 * running server) read and write it; the copy is one consistent snapshot. The copy is
 * left in rollback-journal mode so it is one self-contained file.
 */
export async function backupDatabase(src: string, dest: string, onProgress?: (done: number, total: number) => void): Promise<void> {
  const db = new Database(src, { readonly: true, fileMustExist: true });
  try {
    await db.backup(dest, {
      progress({ totalPages, remainingPages }) {
        onProgress?.(totalPages - remainingPages, totalPages);
        return 1024;
      },
    });
  } finally {
    db.close();
  }
  const copy = new Database(dest, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
}

/** Opens a database file read-only (no WAL files are made). */
export function openSnapshot(file: string): Db {
  return new Database(file, { readonly: true, fileMustExist: true });
}
