// The offline verifier. A full audit reads an export (attacker-controlled bytes) and checks
// the contiguous sequence, every leaf, the previous-hash chain, non-decreasing time, and
// every checkpoint's signature and root; an incremental audit checks the log against
// checkpoints the regulator already holds (a fork or a rewrite shows there). Each problem
// is reported by name.
import { verify as verifySignature } from 'node:crypto';
import { entryBytes, GENESIS_PREV, rotationStatement } from './entry.js';
import { leafHash, RootAccumulator, verifyConsistency, type Hash } from './merkle.js';
import { openCheckpoint, parseVkey, type Checkpoint, type Verifier } from './note.js';

export type ProblemKind =
  | 'malformed'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'modified'
  | 'truncated'
  | 'bad-signature'
  | 'fork'
  | 'time-reversed'
  | 'bad-rotation'
  | 'unsigned';

export interface Problem {
  kind: ProblemKind;
  /** The sequence number or checkpoint size it concerns. */
  at?: number;
  detail: string;
}

export interface AuditReport {
  ok: boolean;
  size: number;
  root: string;
  checkpointsVerified: number;
  problems: Problem[];
}

export interface ExportedEntry {
  seq: number;
  entry: Record<string, unknown>;
  /** The entry's bytes exactly as exported: what the checkpoints signed. */
  raw: string;
}

export interface ParsedExport {
  entries: ExportedEntry[];
  checkpoints: string[];
  malformed: number[];
}

function safeCanonical(v: unknown): string {
  try {
    return entryBytes(v).toString('utf8');
  } catch {
    return '';
  }
}

/** Reads export lines; a line that is not an entry or a checkpoint is counted, not thrown. */
export function parseExport(text: string): ParsedExport {
  const out: ParsedExport = { entries: [], checkpoints: [], malformed: [] };
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const v = JSON.parse(line) as { seq?: unknown; entry?: unknown; checkpoint?: unknown };
      if (typeof v.checkpoint === 'string') out.checkpoints.push(v.checkpoint);
      else if (Number.isSafeInteger(v.seq) && v.entry && typeof v.entry === 'object' && !Array.isArray(v.entry)) {
        // The leaf is the entry's bytes as written by the log, {"seq":n,"entry":<bytes>};
        // a line of another shape is canonicalised (and will only verify if it matches).
        const prefix = `{"seq":${v.seq as number},"entry":`;
        const raw = line.startsWith(prefix) && line.endsWith('}') ? line.slice(prefix.length, -1) : safeCanonical(v.entry);
        out.entries.push({ seq: v.seq as number, entry: v.entry as Record<string, unknown>, raw });
      } else out.malformed.push(i + 1);
    } catch {
      out.malformed.push(i + 1);
    }
  });
  return out;
}

/** Keys trusted for checkpoints: the genesis key and every properly signed rotation after it. */
function trustedKeys(genesis: Verifier, entries: readonly ExportedEntry[], origin: string, problems: Problem[]): Verifier[] {
  const keys = [genesis];
  for (const { seq, entry } of entries) {
    if (entry.type !== 'key.rotated') continue;
    const oldKey = parseVkey(String(entry.oldKey ?? ''));
    const newKey = parseVkey(String(entry.newKey ?? ''));
    const ok =
      oldKey &&
      newKey &&
      keys.some((k) => k.raw.equals(oldKey.raw)) &&
      (() => {
        const statement = rotationStatement(origin, String(entry.oldKey), String(entry.newKey));
        try {
          return (
            verifySignature(null, statement, oldKey.key, Buffer.from(String(entry.oldSignature), 'base64')) &&
            verifySignature(null, statement, newKey.key, Buffer.from(String(entry.newSignature), 'base64'))
          );
        } catch {
          return false;
        }
      })();
    if (ok && newKey) keys.push(newKey);
    else problems.push({ kind: 'bad-rotation', at: seq, detail: 'a key rotation is not signed by a trusted key and the new key' });
  }
  return keys;
}

export interface AuditInput {
  export: ParsedExport;
  /** The key the log was created with, as the regulator holds it (never taken from the export). */
  genesisKey: string;
  origin: string;
  /** Checkpoints the regulator kept from earlier (notes). */
  held?: readonly string[];
  /** Called now and then while leaves are hashed (for a progress bar on large logs). */
  onProgress?: (done: number, total: number) => void;
}

export function audit(input: AuditInput): AuditReport {
  const problems: Problem[] = [];
  const { entries, checkpoints, malformed } = input.export;
  for (const line of malformed) problems.push({ kind: 'malformed', detail: `line ${line} is neither an entry nor a checkpoint` });
  const genesis = parseVkey(input.genesisKey);
  if (!genesis) return { ok: false, size: 0, root: '', checkpointsVerified: 0, problems: [{ kind: 'bad-signature', detail: 'the trusted key cannot be read' }] };

  // 1. the sequence as numbered
  const seqs = new Set<number>();
  let maxSeq = -1;
  let outOfOrder = false;
  entries.forEach(({ seq }, i) => {
    if (seqs.has(seq)) problems.push({ kind: 'inserted', at: seq, detail: `sequence number ${seq} appears twice` });
    if (i > 0 && seq < (entries[i - 1] as ExportedEntry).seq && !outOfOrder) {
      outOfOrder = true;
      problems.push({ kind: 'reordered', at: seq, detail: `entry ${seq} appears after later entries` });
    }
    seqs.add(seq);
    maxSeq = Math.max(maxSeq, seq);
  });
  let missing = 0;
  for (let s = 0; s <= maxSeq && missing < 10; s++) {
    if (!seqs.has(s)) {
      missing++;
      problems.push({ kind: 'deleted', at: s, detail: `entry ${s} is missing` });
    }
  }

  // 2. leaves, the previous-hash chain and time, in file order
  const leaves: Hash[] = entries.map(({ raw }, i) => {
    if (input.onProgress && i % 16384 === 0) input.onProgress(i, entries.length);
    return leafHash(Buffer.from(raw, 'utf8'));
  });
  input.onProgress?.(entries.length, entries.length);
  let leafIndex: Map<string, number> | undefined; // built only to explain a broken chain
  let chainReported = false;
  entries.forEach(({ seq, entry }, i) => {
    const expected = i === 0 ? GENESIS_PREV : (leaves[i - 1] as Hash).toString('hex');
    const prev = String(entry.prev ?? '');
    if (prev !== expected && !chainReported) {
      chainReported = true;
      leafIndex ??= new Map(leaves.map((l, k) => [l.toString('hex'), k]));
      const j = leafIndex.get(prev);
      if (problems.some((p) => p.kind === 'deleted' || p.kind === 'inserted' || p.kind === 'reordered')) return;
      if (j !== undefined && j > i) problems.push({ kind: 'reordered', at: seq, detail: `entry ${seq} links to an entry that appears after it` });
      else if (j !== undefined && j === i - 2) problems.push({ kind: 'inserted', at: (entries[i - 1] as ExportedEntry).seq, detail: `entry ${(entries[i - 1] as ExportedEntry).seq} was not in the chain` });
      else if (j === undefined && i > 0) problems.push({ kind: 'modified', at: (entries[i - 1] as ExportedEntry).seq, detail: `entry ${(entries[i - 1] as ExportedEntry).seq} does not hash to the link its successor holds` });
      else problems.push({ kind: 'modified', at: seq, detail: `entry ${seq} has a broken link` });
    }
    const prevAt = i > 0 ? String((entries[i - 1] as ExportedEntry).entry.at ?? '') : '';
    if (String(entry.at ?? '') < prevAt) problems.push({ kind: 'time-reversed', at: seq, detail: `entry ${seq} is dated before its predecessor` });
  });

  // 3. checkpoints: signatures under trusted keys, and roots against the entries
  const keys = trustedKeys(genesis, entries, input.origin, problems);
  const valid: (Checkpoint & { held: boolean })[] = [];
  for (const [notes, held] of [[checkpoints, false], [input.held ?? [], true]] as const) {
    for (const note of notes) {
      const c = openCheckpoint(note, keys);
      if (!c || c.origin !== input.origin) problems.push({ kind: 'bad-signature', detail: `a ${held ? 'held ' : ''}checkpoint does not verify under the log's keys` });
      else valid.push({ ...c, held });
    }
  }
  const bySize = new Map<number, Checkpoint & { held: boolean }>();
  for (const c of valid) {
    const other = bySize.get(c.size);
    if (other && !other.root.equals(c.root)) problems.push({ kind: 'fork', at: c.size, detail: `two signed checkpoints of size ${c.size} have different roots` });
    else bySize.set(c.size, c);
  }
  const acc = new RootAccumulator();
  const wanted = [...new Set(valid.map((c) => c.size))].sort((a, b) => a - b);
  const rootAt = new Map<number, Hash>();
  let w = 0;
  if (wanted[0] === 0) rootAt.set(0, acc.root());
  for (const leaf of leaves) {
    acc.push(leaf);
    while (w < wanted.length && (wanted[w] as number) < acc.size) w++;
    if (wanted[w] === acc.size) rootAt.set(acc.size, acc.root());
  }
  let lastGood = 0;
  for (const c of [...valid].sort((a, b) => a.size - b.size)) {
    const r = rootAt.get(c.size);
    if (c.size > entries.length) problems.push({ kind: 'truncated', at: c.size, detail: `a ${c.held ? 'held ' : ''}checkpoint covers ${c.size} entries; the log has ${entries.length}` });
    else if (r && !r.equals(c.root)) {
      problems.push(
        c.held
          ? { kind: 'fork', at: c.size, detail: `the log differs from the checkpoint of size ${c.size} you hold` }
          : { kind: 'modified', at: c.size, detail: `entries between ${lastGood} and ${c.size} differ from what the checkpoint of size ${c.size} signed` },
      );
    } else lastGood = Math.max(lastGood, c.size);
  }
  // Without one verified checkpoint nothing signed vouches for the entries: anyone could
  // have written them (an export stripped of its checkpoints must not pass as "ok").
  if (valid.length === 0) problems.push({ kind: 'unsigned', detail: "no checkpoint verifies under the log's keys, so nothing signed vouches for these entries" });
  const unique = problems.filter((p, i) => problems.findIndex((q) => q.kind === p.kind && q.at === p.at && q.detail === p.detail) === i);
  return { ok: unique.length === 0, size: entries.length, root: acc.root().toString('hex'), checkpointsVerified: valid.length, problems: unique };
}

/**
 * Incremental audit: a checkpoint the regulator holds, a newer one, and a consistency
 * proof between them. Fails with 'fork' when the newer log does not extend the held one.
 */
export function auditConsistency(held: string, latest: string, proof: readonly Hash[], genesisKey: string, origin: string, rotatedKeys: readonly string[] = []): Problem[] {
  const keys = [genesisKey, ...rotatedKeys].map(parseVkey).filter((k): k is Verifier => k !== null);
  const a = openCheckpoint(held, keys);
  const b = openCheckpoint(latest, keys);
  if (!a || !b || a.origin !== origin || b.origin !== origin) return [{ kind: 'bad-signature', detail: 'a checkpoint does not verify under the log’s keys' }];
  if (b.size < a.size) return [{ kind: 'truncated', at: a.size, detail: `the log shrank from ${a.size} to ${b.size}` }];
  if (a.size === 0) return [];
  if (!verifyConsistency(a.size, b.size, a.root, b.root, proof)) return [{ kind: 'fork', at: a.size, detail: `the log of size ${b.size} does not extend the checkpoint of size ${a.size}` }];
  return [];
}
