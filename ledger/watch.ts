// The regulator's own watcher: it keeps every signed checkpoint it has seen, under a pinned
// genesis key, and judges each new one against them. A new checkpoint must verify under the
// pinned key, must not be smaller than one held (rollback), must not disagree with a held
// checkpoint of the same size, and must extend the largest one held (RFC 9162 §2.1.4.2
// consistency proof); otherwise it is a fork. Conflicting checkpoints are kept as evidence.
import fs from 'node:fs';
import path from 'node:path';
import { ensureDir, writeFileAtomic } from '../core/fs.js';
import { ledgerError } from './errors.js';
import { verifyConsistency, type Hash } from './merkle.js';
import { openCheckpoint, parseVkey, type Checkpoint, type Verifier } from './note.js';

export type Held = Checkpoint & { note: string };

export type Verdict =
  | { kind: 'first'; checkpoint: Held }
  | { kind: 'same'; checkpoint: Held }
  | { kind: 'extended'; checkpoint: Held; from: number }
  | { kind: 'fork'; checkpoint: Held; at: number; detail: string }
  | { kind: 'rollback'; checkpoint: Held; held: number }
  | { kind: 'untrusted' };

const KEY_FILE = 'genesis.pub';
const NOTES = 'checkpoints';
const EVIDENCE = 'evidence';

/** A directory of checkpoints the watcher holds, and the key they verify under. */
export class CheckpointStore {
  constructor(readonly dir: string) {}

  get keyFile(): string {
    return path.join(this.dir, KEY_FILE);
  }

  /** The pinned key, if any; a pinned key that does not parse is an error, never ignored. */
  pinned(): Verifier | undefined {
    if (!fs.existsSync(this.keyFile)) return undefined;
    const v = parseVkey(fs.readFileSync(this.keyFile, 'utf8').slice(0, 4096));
    if (!v) throw ledgerError('LEDGER_WATCH_STORE_INVALID', { detail: KEY_FILE });
    return v;
  }

  pin(vkey: string): void {
    ensureDir(this.dir, 0o700);
    writeFileAtomic(this.keyFile, `${vkey.trim()}\n`, 0o644);
  }

  /** Every held checkpoint, smallest first, each verified again under the pinned key. */
  held(key: Verifier): Held[] {
    const dir = path.join(this.dir, NOTES);
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .filter((n) => /^\d{16}\.note$/.test(n))
      .sort()
      .map((n) => {
        const c = openCheckpoint(fs.readFileSync(path.join(dir, n), 'utf8').slice(0, 16 * 1024), [key]);
        if (!c || c.size !== Number(n.slice(0, 16))) throw ledgerError('LEDGER_WATCH_STORE_INVALID', { detail: `${NOTES}/${n}` });
        return { origin: c.origin, size: c.size, root: c.root, extensions: c.extensions, note: c.note };
      });
  }

  save(c: Held): void {
    const dir = path.join(this.dir, NOTES);
    ensureDir(dir, 0o700);
    const file = path.join(dir, `${String(c.size).padStart(16, '0')}.note`);
    if (!fs.existsSync(file)) writeFileAtomic(file, c.note, 0o644);
  }

  /** Keeps what proves a fork or rollback: both checkpoints and the proof, if any. */
  evidence(kind: string, record: Record<string, unknown>, at = new Date()): string {
    const dir = path.join(this.dir, EVIDENCE);
    ensureDir(dir, 0o700);
    const file = path.join(dir, `${at.toISOString().replace(/[:.]/g, '-')}-${kind}.json`);
    writeFileAtomic(file, `${JSON.stringify({ kind, ...record }, null, 2)}\n`, 0o644);
    return file;
  }
}

/**
 * Judges a new checkpoint note (bytes from the network: attacker-controlled) against what
 * is held. `proof(from, to)` fetches a consistency proof; it is asked only when needed.
 */
export async function judge(note: string, key: Verifier, held: readonly Held[], proof: (from: number, to: number) => Promise<Hash[]>): Promise<Verdict> {
  const opened = openCheckpoint(note, [key]);
  // C2SP: the key is named after the log's origin
  if (!opened || opened.origin !== key.name) return { kind: 'untrusted' };
  const c: Held = { origin: opened.origin, size: opened.size, root: opened.root, extensions: opened.extensions, note };
  const same = held.find((h) => h.size === c.size);
  if (same && !same.root.equals(c.root)) return { kind: 'fork', checkpoint: c, at: c.size, detail: `two signed checkpoints of size ${c.size} have different roots` };
  const last = held[held.length - 1];
  if (!last) return { kind: 'first', checkpoint: c };
  if (c.size < last.size) return { kind: 'rollback', checkpoint: c, held: last.size };
  if (c.size === last.size) return { kind: 'same', checkpoint: c };
  if (last.size === 0) return { kind: 'extended', checkpoint: c, from: 0 };
  // RFC 9162 §2.1.4.2: the new tree must extend the last one held
  if (!verifyConsistency(last.size, c.size, last.root, c.root, await proof(last.size, c.size))) {
    return { kind: 'fork', checkpoint: c, at: last.size, detail: `the log of size ${c.size} does not extend the checkpoint of size ${last.size}` };
  }
  return { kind: 'extended', checkpoint: c, from: last.size };
}
