// The regulator's log, stored in the platform's SQLite database so that an entry is
// appended in the same transaction as the state change it records. Append-only: triggers
// refuse UPDATE and DELETE. Each entry carries the previous leaf hash; complete subtree
// hashes are cached as they form, so proofs need O(log n) lookups. The log keeps no state in
// memory: a rolled-back transaction leaves nothing to go stale.
import { sign } from 'node:crypto';
import type { Db } from '../core/sqlite.js';
import { GENESIS_PREV, makeEntry, rotationStatement, type Entry, type EntryFields, type EntryType } from './entry.js';
import { ledgerError } from './errors.js';
import type { Signer } from './keys.js';
import { consistencyProof, EMPTY_ROOT, inclusionProof, leafHash, nodeHash, subtreeRoot, type Hash, type NodeSource } from './merkle.js';
import { checkpointBody, signNote, vkey } from './note.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_entries (seq INTEGER PRIMARY KEY, entry TEXT NOT NULL, leaf BLOB NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger_checkpoints (size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL, at TEXT NOT NULL);
${['ledger_meta', 'ledger_entries', 'ledger_nodes', 'ledger_checkpoints']
  .map(
    (t) => `CREATE TRIGGER IF NOT EXISTS ${t}_no_update BEFORE UPDATE ON ${t} BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS ${t}_no_delete BEFORE DELETE ON ${t} BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;`,
  )
  .join('\n')}
`;

export interface LedgerOptions {
  origin: string;
  /** A checkpoint after this many entries... */
  checkpointEvery: number;
  /** ...or this long since the last one, with a heartbeat entry when idle. */
  checkpointMs: number;
  now: () => Date;
}

export const DEFAULT_LEDGER_OPTIONS = { checkpointEvery: 100, checkpointMs: 5 * 60_000, now: () => new Date() };

export interface StoredCheckpoint {
  size: number;
  root: Hash;
  note: string;
  at: string;
}

/** What a bank gets with each result: enough to check offline that its run is in the log. */
export interface ProofBundle {
  index: number;
  size: number;
  leafHash: string;
  inclusionProof: string[];
  checkpoint: string;
}

export class Ledger implements NodeSource {
  private waiting: { index: number; resolve(b: ProofBundle): void; reject(e: unknown): void }[] = [];
  private signer: Signer;
  private readonly opts: LedgerOptions;
  private readonly q: ReturnType<typeof prepare>;

  constructor(
    private readonly db: Db,
    signer: Signer,
    options: Partial<LedgerOptions> & { origin: string },
  ) {
    this.signer = signer;
    this.opts = { ...DEFAULT_LEDGER_OPTIONS, ...options };
    db.exec(SCHEMA);
    this.q = prepare(db);
    db.transaction(() => {
      const origin = this.q.meta.get('origin') as string | undefined;
      if (origin === undefined) {
        this.q.putMeta.run('origin', this.opts.origin);
        this.q.putMeta.run('genesisKey', vkey(signer.verifier));
        this.appendRaw('ledger.created', 'platform', { origin: this.opts.origin, key: vkey(signer.verifier) });
        this.checkpoint();
      } else if (origin !== this.opts.origin) {
        throw ledgerError('LEDGER_KEY_INVALID', { detail: 'origin' });
      }
    })();
  }

  get origin(): string {
    return this.opts.origin;
  }

  get publicKey(): string {
    return vkey(this.signer.verifier);
  }

  /** The key the log was created with: the root of trust for its checkpoints. */
  get genesisKey(): string {
    return this.q.meta.get('genesisKey') as string;
  }

  size(): number {
    return ((this.q.maxSeq.get() as number | null) ?? -1) + 1;
  }

  node(level: number, index: number): Hash {
    const h = this.q.node.get(level, index) as Buffer | undefined;
    if (!h) throw ledgerError('LEDGER_BAD_RANGE');
    return h;
  }

  root(size = this.size()): Hash {
    if (size < 0 || size > this.size()) throw ledgerError('LEDGER_BAD_RANGE');
    return size === 0 ? EMPTY_ROOT : subtreeRoot(this, 0, size);
  }

  private appendRaw(type: EntryType, actor: string, fields: EntryFields): { seq: number; leaf: Hash; entry: Entry } {
    const last = this.q.last.get() as { seq: number; leaf: Buffer; at: string } | undefined;
    const seq = last ? last.seq + 1 : 0;
    // times never go backwards in the log, even if the clock does
    const nowIso = this.opts.now().toISOString();
    const at = last && last.at > nowIso ? last.at : nowIso;
    const { entry, bytes } = makeEntry(type, actor, at, last ? last.leaf.toString('hex') : GENESIS_PREV, fields);
    const leaf = leafHash(bytes);
    this.q.insertEntry.run(seq, bytes.toString('utf8'), leaf, at);
    this.q.insertNode.run(0, seq, leaf);
    let level = 0;
    let idx = seq;
    let hash = leaf;
    while (idx % 2 === 1) {
      hash = nodeHash(this.node(level, idx - 1), hash);
      level++;
      idx = (idx - 1) / 2;
      this.q.insertNode.run(level, idx, hash);
    }
    return { seq, leaf, entry };
  }

  /**
   * Appends an entry. Call it inside the transaction of the state change it records; it
   * nests (as a savepoint) and issues a checkpoint when one is due.
   */
  append(type: EntryType, actor: string, fields: EntryFields): { seq: number; leafHash: string } {
    return this.db.transaction(() => {
      const r = this.appendRaw(type, actor, fields);
      this.checkpointIfDue();
      return { seq: r.seq, leafHash: r.leaf.toString('hex') };
    })();
  }

  latestCheckpoint(): StoredCheckpoint {
    return this.q.latestCheckpoint.get() as StoredCheckpoint;
  }

  checkpoints(): StoredCheckpoint[] {
    return this.q.allCheckpoints.all() as StoredCheckpoint[];
  }

  /** Signs a checkpoint of the current size, unless the latest already has it. */
  checkpoint(): StoredCheckpoint {
    return this.db.transaction(() => {
      const size = this.size();
      const latest = this.q.latestCheckpoint.get() as StoredCheckpoint | undefined;
      if (latest && latest.size === size) return latest;
      const root = this.root(size);
      const note = signNote(checkpointBody({ origin: this.opts.origin, size, root, extensions: [] }), this.signer);
      const at = this.opts.now().toISOString();
      this.q.insertCheckpoint.run(size, root, note, at);
      return { size, root, note, at };
    })();
  }

  private checkpointIfDue(): void {
    const latest = this.q.latestCheckpoint.get() as StoredCheckpoint | undefined;
    const size = this.size();
    if (!latest || size - latest.size >= this.opts.checkpointEvery || this.opts.now().getTime() - Date.parse(latest.at) >= this.opts.checkpointMs) this.checkpoint();
  }

  /** The timer's work: a heartbeat entry and a checkpoint when the log has been idle. */
  tick(): void {
    const latest = this.latestCheckpoint();
    if (this.opts.now().getTime() - Date.parse(latest.at) < this.opts.checkpointMs) return;
    this.db.transaction(() => {
      if (this.size() === latest.size) this.appendRaw('heartbeat', 'platform', {});
      this.checkpoint();
    })();
  }

  private checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 1 || size > this.size()) throw ledgerError('LEDGER_BAD_RANGE');
  }

  inclusion(index: number, size: number): Hash[] {
    this.checkSize(size);
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw ledgerError('LEDGER_BAD_RANGE');
    return inclusionProof(this, index, size);
  }

  consistency(from: number, to: number): Hash[] {
    this.checkSize(to);
    if (!Number.isSafeInteger(from) || from < 1 || from > to) throw ledgerError('LEDGER_BAD_RANGE');
    return consistencyProof(this, from, to);
  }

  /**
   * The bundle for an entry, under a checkpoint shared by every bundle asked for in the same
   * turn of the event loop: a burst of runs costs one signature and one checkpoint row, not
   * one each. Resolves once that checkpoint is stored.
   */
  bundleSoon(index: number): Promise<ProofBundle> {
    if (this.latestCheckpoint().size > index) return Promise.resolve(this.bundle(index));
    return new Promise((resolve, reject) => {
      this.waiting.push({ index, resolve, reject });
      // runs that finish within a few milliseconds of each other share one checkpoint
      if (this.waiting.length === 1) setTimeout(() => this.flushBundles(), 5);
    });
  }

  private flushBundles(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) {
      try {
        w.resolve(this.bundle(w.index));
      } catch (e) {
        w.reject(e);
      }
    }
  }

  /** The offline bundle for one entry, under a checkpoint that covers it (issued if needed). */
  bundle(index: number): ProofBundle {
    let cp = this.latestCheckpoint();
    if (cp.size <= index) cp = this.checkpoint();
    return {
      index,
      size: cp.size,
      leafHash: this.node(0, index).toString('hex'),
      inclusionProof: this.inclusion(index, cp.size).map((h) => h.toString('hex')),
      checkpoint: cp.note,
    };
  }

  entries(start: number, end: number): { seq: number; entry: Entry }[] {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) throw ledgerError('LEDGER_BAD_RANGE');
    return (this.q.range.all(start, end) as { seq: number; entry: string }[]).map((r) => ({ seq: r.seq, entry: JSON.parse(r.entry) as Entry }));
  }

  /** The export: one JSON line per entry, then one per checkpoint. */
  *exportLines(): Generator<string> {
    for (const r of this.q.iterateEntries.iterate() as Iterable<{ seq: number; entry: string }>) yield `{"seq":${r.seq},"entry":${r.entry}}`;
    for (const c of this.checkpoints()) yield JSON.stringify({ checkpoint: c.note });
  }

  /**
   * Rotates the signing key: an entry signed by the old and the new key, then a checkpoint
   * under the new key. The caller persists the new key first.
   */
  rotateKey(next: Signer): void {
    const oldKey = vkey(this.signer.verifier);
    const newKey = vkey(next.verifier);
    const statement = rotationStatement(this.opts.origin, oldKey, newKey);
    this.db.transaction(() => {
      this.appendRaw('key.rotated', 'platform', {
        oldKey,
        newKey,
        oldSignature: sign(null, statement, this.signer.privateKey).toString('base64'),
        newSignature: sign(null, statement, next.privateKey).toString('base64'),
      });
      this.signer = next;
      this.checkpoint();
    })();
  }
}

function prepare(db: Db) {
  return {
    meta: db.prepare('SELECT value FROM ledger_meta WHERE key = ?').pluck(),
    putMeta: db.prepare('INSERT INTO ledger_meta (key, value) VALUES (?, ?)'),
    maxSeq: db.prepare('SELECT max(seq) FROM ledger_entries').pluck(),
    last: db.prepare('SELECT seq, leaf, at FROM ledger_entries ORDER BY seq DESC LIMIT 1'),
    node: db.prepare('SELECT hash FROM ledger_nodes WHERE level = ? AND idx = ?').pluck(),
    insertEntry: db.prepare('INSERT INTO ledger_entries (seq, entry, leaf, at) VALUES (?, ?, ?, ?)'),
    insertNode: db.prepare('INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)'),
    insertCheckpoint: db.prepare('INSERT INTO ledger_checkpoints (size, root, note, at) VALUES (?, ?, ?, ?)'),
    latestCheckpoint: db.prepare('SELECT size, root, note, at FROM ledger_checkpoints ORDER BY size DESC LIMIT 1'),
    allCheckpoints: db.prepare('SELECT size, root, note, at FROM ledger_checkpoints ORDER BY size'),
    range: db.prepare('SELECT seq, entry FROM ledger_entries WHERE seq >= ? AND seq < ? ORDER BY seq LIMIT 1000'),
    iterateEntries: db.prepare('SELECT seq, entry FROM ledger_entries ORDER BY seq'),
  };
}

/**
 * The size and root of a log stored in `db`, read without a signer and without writing
 * (backups and restores check these against their manifest).
 */
export function ledgerHead(db: Db): { size: number; root: Hash } {
  const size = ((db.prepare('SELECT max(seq) FROM ledger_entries').pluck().get() as number | null) ?? -1) + 1;
  const node = db.prepare('SELECT hash FROM ledger_nodes WHERE level = ? AND idx = ?').pluck();
  const src: NodeSource = {
    node(level, index) {
      const h = node.get(level, index) as Buffer | undefined;
      if (!h) throw ledgerError('LEDGER_BAD_RANGE');
      return h;
    },
  };
  return { size, root: size === 0 ? EMPTY_ROOT : subtreeRoot(src, 0, size) };
}
