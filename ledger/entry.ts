// Ledger entries: canonical JSON (RFC 8785) with a schema version, a type, the actor, the
// time and the previous leaf hash, plus identifiers and digests only. Numbers must be
// integers (no floats in entries: their text form is not stable), strings are short, and
// nesting is shallow: there is no room for rows of data.
import { randomBytes } from 'node:crypto';
import { canonicalize } from '../core/canonical-json.js';
import { ledgerError } from './errors.js';

export const ENTRY_VERSION = 1;

/** Every type and the fields it must carry (beyond v, type, at, actor, prev). */
export const ENTRY_FIELDS = {
  'ledger.created': ['origin', 'key'],
  'org.applied': ['org', 'kind'],
  'org.admitted': ['org'],
  'org.suspended': ['org', 'reason'],
  'org.rejected': ['org', 'reason'],
  'org.reinstated': ['org', 'reason'],
  'model.submitted': ['model', 'digest', 'provider'],
  'model.vetted': ['model', 'digest', 'passed', 'report'],
  'model.approved': ['model', 'digest', 'policy', 'expiresAt'],
  'model.rejected': ['model', 'digest', 'reason'],
  'model.revoked': ['model', 'digest', 'reason'],
  'model.suspended': ['model', 'digest', 'reason'],
  'access.requested': ['access', 'model', 'bank', 'purpose'],
  'access.granted': ['access'],
  'access.denied': ['access', 'reason'],
  'consent.granted': ['consent', 'subject', 'bank', 'purpose', 'expiresAt'],
  'consent.revoked': ['consent'],
  'bank.key.registered': ['key', 'bank', 'digest'],
  'run.requested': ['run', 'mode', 'model', 'digest', 'dataset', 'policy', 'request'],
  'run.denied': ['run', 'decisions'],
  'run.executed': ['run', 'resources'],
  'run.released': ['run', 'output', 'decisions', 'budget'],
  'run.failed': ['run', 'code'],
  'run.interrupted': ['run'],
  'run.late': ['run', 'lateMs'],
  'budget.charged': ['org', 'entity', 'lineage', 'amount'],
  'budget.refreshed': ['entity', 'lineage', 'previousMicros', 'reason'],
  'policy.changed': ['policy', 'digest'],
  'dataset.imported': ['dataset', 'lineage', 'oldVersion', 'newVersion', 'subjects', 'sources'],
  'key.rotated': ['oldKey', 'newKey', 'oldSignature', 'newSignature'],
  heartbeat: [],
} as const satisfies Record<string, readonly string[]>;

export type EntryType = keyof typeof ENTRY_FIELDS;
export const ENTRY_TYPES = Object.keys(ENTRY_FIELDS) as EntryType[];

export type EntryValue = string | number | boolean | null | EntryValue[] | { [k: string]: EntryValue };
export type EntryFields = Record<string, EntryValue>;

export interface Entry extends EntryFields {
  v: number;
  /** Random, so that no entry can be guessed from its leaf hash. */
  nonce: string;
  type: string;
  at: string;
  actor: string;
  prev: string;
}

const ENVELOPE = new Set(['v', 'type', 'at', 'actor', 'prev', 'nonce']);
const MAX_STRING = 512;
const MAX_ITEMS = 64;
const MAX_DEPTH = 4;
const MAX_ENTRY_BYTES = 16 * 1024;

function checkValue(v: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  if (v === null || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isSafeInteger(v);
  if (typeof v === 'string') return v.length <= MAX_STRING;
  if (Array.isArray(v)) return v.length <= MAX_ITEMS && v.every((x) => checkValue(x, depth + 1));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const keys = Object.keys(v);
    return keys.length <= MAX_ITEMS && keys.every((k) => k.length <= 64 && checkValue((v as Record<string, unknown>)[k], depth + 1));
  }
  return false;
}

/** Builds the entry and its leaf bytes; throws LEDGER_ENTRY_INVALID when a rule is broken. */
/** `nonce` is random unless given (test vectors give a fixed one, to be reproducible). */
export function makeEntry(type: EntryType, actor: string, at: string, prev: string, fields: EntryFields, nonce: string = randomBytes(16).toString('base64url')): { entry: Entry; bytes: Buffer } {
  for (const k of Object.keys(fields)) if (ENVELOPE.has(k)) throw ledgerError('LEDGER_ENTRY_INVALID', { detail: k });
  for (const k of ENTRY_FIELDS[type]) if (!(k in fields)) throw ledgerError('LEDGER_ENTRY_INVALID', { detail: `${type}.${k}` });
  // 128 random bits in every entry: an inclusion proof shows neighbouring leaf hashes to any
  // admitted organisation, and without the nonce an entry with few unknowns (a run id, a
  // time, small counts) could be found from its hash by trying candidates.
  const entry: Entry = { v: ENTRY_VERSION, type, at, actor, prev, nonce, ...fields };
  if (!checkValue(entry, 0) || actor.length > 128) throw ledgerError('LEDGER_ENTRY_INVALID', { detail: type });
  const bytes = Buffer.from(canonicalize(entry), 'utf8');
  if (bytes.length > MAX_ENTRY_BYTES) throw ledgerError('LEDGER_ENTRY_INVALID', { detail: `${type} too large` });
  return { entry, bytes };
}

/** The leaf bytes of an entry: its RFC 8785 canonical JSON in UTF-8. */
export function entryBytes(entry: unknown): Buffer {
  return Buffer.from(canonicalize(entry), 'utf8');
}

export const GENESIS_PREV = '0'.repeat(64);

/** The statement both keys sign when the ledger key is rotated. */
export function rotationStatement(origin: string, oldKey: string, newKey: string): Buffer {
  return Buffer.from(`dfix ledger key rotation\n${origin}\n${oldKey}\n${newKey}\n`, 'utf8');
}
