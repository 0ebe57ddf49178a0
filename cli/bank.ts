// `dfix bank`: the bank's side of encrypted joint scoring and of checking a run's proof,
// for a bank's own machines (docs/integration.md says how to do the same in Java or Python).
//   keygen        a CKKS key pair in a directory: secret.key (0600, never sent), public.key, parameters.json
//   encrypt       a CSV of the bank's features -> { ciphertexts: [base64...] } for POST /v1/runs
//   decrypt       a run answer (or a bare ciphertext) -> one joint score per slot
//   verify-proof  a run answer's ledger bundle: the checkpoint's signature and the inclusion proof
// Everything read here (answers, CSVs, keys from a server) is checked; a malformed input is
// a coded line and exit 2, a proof that does not verify is exit 1 with the reason.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { canonicalize } from '../core/canonical-json.js';
import { isAppError } from '../core/errors.js';
import { ensureDir, writeFileAtomic } from '../core/fs.js';
import { BankKeys } from '../encryption/bank.js';
import type { CkksParameters } from '../encryption/seal.js';
import { leafHash, verifyInclusion } from '../ledger/merkle.js';
import { openCheckpoint, parseVkey, type Verifier } from '../ledger/note.js';
import { loadPolicy } from '../policies/policy.schema.js';
import { parseArgs } from './args.js';
import { cliError } from './errors.js';
import { isHelpWord, printHelp } from './help.js';
import { emit, type Io } from './output.js';

export const SECRET_KEY_FILE = 'secret.key';
export const PUBLIC_KEY_FILE = 'public.key';
export const PARAMETERS_FILE = 'parameters.json';
const DEFAULT_STORE = './.dfix-bank';
const PINNED_KEY_FILE = 'ledger.pub';
const MAX_ANSWER = 32 * 1024 * 1024;

/** The parameters a key directory holds (the policy's `encryption` section, or the server's). */
export const bankParametersSchema = z.object({
  scheme: z.literal('ckks'),
  polyModulusDegree: z.number().int().min(1024).max(32768),
  coeffModulusBits: z.array(z.number().int().min(10).max(60)).min(2).max(8),
  scaleBits: z.number().int().min(10).max(60),
  securityLevel: z.literal(128),
});
export type BankParameters = z.infer<typeof bankParametersSchema>;

const ckksOf = (p: BankParameters): CkksParameters => ({ polyModulusDegree: p.polyModulusDegree, coeffModulusBits: p.coeffModulusBits, scaleBits: p.scaleBits });

function readFile(file: string, code: 'BANK_KEYS_UNREADABLE' | 'BANK_FEATURES_INVALID' | 'BANK_ANSWER_INVALID', max = MAX_ANSWER): Buffer {
  try {
    if (fs.statSync(file).size > max) throw new Error('too large');
    return fs.readFileSync(file);
  } catch (cause) {
    throw cliError(code, { detail: path.basename(file), cause });
  }
}

function parametersFrom(text: string, code: 'BANK_KEYS_UNREADABLE' | 'CLI_BAD_FLAG', detail: string): BankParameters {
  try {
    // a parameters.json, or the answer of GET /v1/encryption/parameters (more fields)
    const j = JSON.parse(text) as Record<string, unknown>;
    return bankParametersSchema.parse({ scheme: j.scheme, polyModulusDegree: j.polyModulusDegree, coeffModulusBits: j.coeffModulusBits, scaleBits: j.scaleBits, securityLevel: j.securityLevel });
  } catch (cause) {
    throw cliError(code, { detail, cause });
  }
}

/** Loads a key directory written by `dfix bank keygen`. */
export async function loadKeyDir(dir: string): Promise<{ keys: BankKeys; params: BankParameters }> {
  const params = parametersFrom(readFile(path.join(dir, PARAMETERS_FILE), 'BANK_KEYS_UNREADABLE', 1 << 16).toString('utf8'), 'BANK_KEYS_UNREADABLE', PARAMETERS_FILE);
  const secret = readFile(path.join(dir, SECRET_KEY_FILE), 'BANK_KEYS_UNREADABLE');
  const pub = fs.existsSync(path.join(dir, PUBLIC_KEY_FILE)) ? readFile(path.join(dir, PUBLIC_KEY_FILE), 'BANK_KEYS_UNREADABLE') : undefined;
  try {
    return { keys: await BankKeys.load(ckksOf(params), secret, pub), params };
  } catch (cause) {
    throw cliError('BANK_KEYS_UNREADABLE', { detail: isAppError(cause) ? cause.code : 'keys', cause });
  }
}

const digest = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function keygen(argv: readonly string[], io: Io): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { out: 'string', params: 'string' });
  if (flags.help) return printHelp(io, 'bank keygen');
  if (positionals.length) throw cliError('CLI_BAD_ARGUMENT');
  if (flags.out === undefined) throw cliError('CLI_BAD_FLAG', { detail: '--out' });
  const dir = path.resolve(flags.out);
  if (fs.existsSync(path.join(dir, SECRET_KEY_FILE))) throw cliError('BANK_KEYS_EXIST', { detail: flags.out });
  let params: BankParameters;
  if (flags.params !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(path.resolve(flags.params), 'utf8').slice(0, 1 << 16);
    } catch (cause) {
      throw cliError('CLI_BAD_FLAG', { detail: '--params', cause });
    }
    params = parametersFrom(text, 'CLI_BAD_FLAG', '--params');
  } else params = bankParametersSchema.parse(loadPolicy().policy.encryption);
  const keys = await BankKeys.generate(ckksOf(params));
  try {
    const pub = keys.seededPublicKey();
    try {
      ensureDir(dir, 0o700);
      writeFileAtomic(path.join(dir, SECRET_KEY_FILE), keys.saveSecretKey(), 0o600);
      fs.chmodSync(path.join(dir, SECRET_KEY_FILE), 0o600); // whatever the umask
      writeFileAtomic(path.join(dir, PUBLIC_KEY_FILE), pub, 0o644);
      writeFileAtomic(path.join(dir, PARAMETERS_FILE), `${JSON.stringify(params, null, 2)}\n`, 0o644);
    } catch (cause) {
      throw cliError('CLI_OUTPUT_UNWRITABLE', { detail: flags.out, cause });
    }
    const out = { dir, secretKey: path.join(dir, SECRET_KEY_FILE), publicKey: path.join(dir, PUBLIC_KEY_FILE), publicKeyBytes: pub.length, publicKeyDigest: digest(pub), parameters: params };
    if (flags.json) io.out(JSON.stringify(out));
    else {
      io.out(`keys in ${dir}: ${SECRET_KEY_FILE} (mode 0600, never leaves this machine), ${PUBLIC_KEY_FILE} (${pub.length} bytes, ${out.publicKeyDigest}), ${PARAMETERS_FILE}`);
      io.out(`register it: POST /v1/keys { "publicKey": "<base64 of ${PUBLIC_KEY_FILE}>" }`);
    }
    return 0;
  } finally {
    keys.dispose();
  }
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses the features CSV: an optional header row, then one row per merchant, one number per feature. */
export function parseFeaturesCsv(text: string, maxRows: number): { names: string[] | null; columns: Float64Array[] } {
  const bad = (detail: string) => cliError('BANK_FEATURES_INVALID', { detail });
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw bad('empty');
  const cells = lines.map((l) => l.split(',').map((c) => c.trim()));
  let names: string[] | null = null;
  if (!cells[0]!.every((c) => NUMBER.test(c))) {
    names = cells.shift()!;
    if (names.some((n) => n === '' || NUMBER.test(n))) throw bad('header row');
  }
  const width = names?.length ?? cells[0]?.length ?? 0;
  if (cells.length === 0) throw bad('no rows');
  if (cells.length > maxRows) throw bad(`${cells.length} rows; at most ${maxRows}`);
  const columns = Array.from({ length: width }, () => new Float64Array(cells.length));
  cells.forEach((row, i) => {
    const line = i + 1 + (names ? 1 : 0);
    if (row.length !== width) throw bad(`line ${line}: ${row.length} cells, expected ${width}`);
    row.forEach((c, j) => {
      const v = Number(c);
      if (!NUMBER.test(c) || !Number.isFinite(v)) throw bad(`line ${line}, column ${j + 1}`);
      columns[j]![i] = v;
    });
  });
  return { names, columns };
}

async function encrypt(argv: readonly string[], io: Io): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { key: 'string', features: 'string', out: 'string' });
  if (flags.help) return printHelp(io, 'bank encrypt');
  if (positionals.length) throw cliError('CLI_BAD_ARGUMENT');
  for (const f of ['key', 'features'] as const) if (flags[f] === undefined) throw cliError('CLI_BAD_FLAG', { detail: `--${f}` });
  const { keys, params } = await loadKeyDir(path.resolve(flags.key as string));
  try {
    const csv = readFile(path.resolve(flags.features as string), 'BANK_FEATURES_INVALID', 64 * 1024 * 1024).toString('utf8');
    const { names, columns } = parseFeaturesCsv(csv, params.polyModulusDegree / 2);
    const ciphertexts = keys.encryptFeatures(columns).map((c) => Buffer.from(c).toString('base64'));
    emit(io, `${JSON.stringify({ ciphertexts })}\n`, flags.out);
    if (flags.out !== undefined) {
      const summary = { out: path.resolve(flags.out), features: columns.length, merchants: columns[0]?.length ?? 0, ...(names ? { names } : {}) };
      io.out(flags.json ? JSON.stringify(summary) : `${summary.features} ciphertext(s) of ${summary.merchants} merchant slot(s) in ${summary.out}${names ? ` (columns: ${names.join(', ')})` : ''}`);
    }
    return 0;
  } finally {
    keys.dispose();
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A run answer (JSON with `ciphertext`), a bare base64 ciphertext, or SEAL's raw bytes. */
function readResult(bytes: Buffer): { ciphertext: Buffer; slots?: number; scoredSlots?: boolean[] } {
  const bad = (detail: string) => cliError('BANK_ANSWER_INVALID', { detail });
  if (bytes[0] === 0x5e && bytes[1] === 0xa1) return { ciphertext: bytes }; // SEAL magic 0xA15E, little-endian
  const text = bytes.toString('utf8').trim();
  if (text.startsWith('{')) {
    let j: unknown;
    try {
      j = JSON.parse(text);
    } catch {
      throw bad('not JSON');
    }
    if (!isRecord(j) || typeof j.ciphertext !== 'string' || !B64.test(j.ciphertext)) throw bad('no ciphertext in the answer');
    const slots = Number.isSafeInteger(j.slots) && (j.slots as number) > 0 ? (j.slots as number) : undefined;
    const scored = Array.isArray(j.scoredSlots) && j.scoredSlots.every((s) => typeof s === 'boolean') ? (j.scoredSlots as boolean[]) : undefined;
    return { ciphertext: Buffer.from(j.ciphertext, 'base64'), ...(slots ? { slots } : {}), ...(scored ? { scoredSlots: scored } : {}) };
  }
  if (B64.test(text)) return { ciphertext: Buffer.from(text, 'base64') };
  throw bad('neither a run answer nor a ciphertext');
}

async function decrypt(argv: readonly string[], io: Io): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { key: 'string', in: 'string', slots: 'int' });
  if (flags.help) return printHelp(io, 'bank decrypt');
  if (positionals.length) throw cliError('CLI_BAD_ARGUMENT');
  for (const f of ['key', 'in'] as const) if (flags[f] === undefined) throw cliError('CLI_BAD_FLAG', { detail: `--${f}` });
  const result = readResult(readFile(path.resolve(flags.in as string), 'BANK_ANSWER_INVALID'));
  const { keys, params } = await loadKeyDir(path.resolve(flags.key as string));
  try {
    const max = params.polyModulusDegree / 2;
    const n = flags.slots ?? result.slots;
    if (n === undefined) throw cliError('CLI_BAD_FLAG', { detail: '--slots (a bare ciphertext does not say how many merchants it holds)' });
    if (n < 1 || n > max) throw cliError('CLI_BAD_FLAG', { detail: '--slots' });
    let scores: Float64Array;
    try {
      scores = keys.decrypt(result.ciphertext, n);
    } catch (cause) {
      throw cliError('BANK_ANSWER_INVALID', { detail: isAppError(cause) ? cause.code : 'ciphertext', cause });
    }
    const scored = result.scoredSlots;
    if (flags.json) io.out(JSON.stringify({ slots: n, scores: Array.from(scores), ...(scored ? { scoredSlots: scored.slice(0, n) } : {}) }));
    else {
      const rows = Array.from(scores, (s, i) => `${String(i).padStart(5)}  ${s.toFixed(6).padStart(16)}${scored ? (scored[i] ? '  scored' : '  not scored (noise around zero)') : ''}`);
      io.out([`slot  joint score${scored ? '        ' : ''}`, ...rows].join('\n'));
      if (scored) io.out(`${scored.filter(Boolean).length} of ${n} slot(s) scored`);
    }
    return 0;
  } finally {
    keys.dispose();
  }
}

const bundleSchema = z
  .object({
    index: z.number().int().nonnegative(),
    size: z.number().int().positive(),
    leafHash: z.string().regex(/^[0-9a-f]{64}$/),
    inclusionProof: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(64),
    checkpoint: z.string().max(16 * 1024),
  })
  .strict();
export type Bundle = z.infer<typeof bundleSchema>;

export interface ProofVerdict {
  ok: boolean;
  reason?: string;
  index?: number;
  size?: number;
  root?: string;
  origin?: string;
  signedBy?: string[];
}

/**
 * Verifies a ledger bundle offline: the checkpoint note is signed by `key` (C2SP signed
 * note, Ed25519) and is of the log that key names, its size is the bundle's, and the leaf hash with the inclusion proof
 * leads to the checkpoint's root (RFC 9162 §2.1.3.2). With `entry`, also that the leaf is
 * SHA-256(0x00 || RFC 8785 bytes of the entry).
 */
export function verifyBundle(bundle: unknown, key: Verifier, entry?: unknown): ProofVerdict {
  const parsed = bundleSchema.safeParse(bundle);
  if (!parsed.success) return { ok: false, reason: 'the ledger bundle is malformed (index, size, leafHash, inclusionProof, checkpoint)' };
  const b = parsed.data;
  const cp = openCheckpoint(b.checkpoint, [key]);
  if (!cp) return { ok: false, reason: `the checkpoint is not validly signed by ${key.name} (key id ${key.keyId.toString('hex')})` };
  // the log's key is named by its origin (c2sp.org/tlog-checkpoint): a note of another log fails
  if (cp.origin !== key.name) return { ok: false, reason: `the checkpoint is of the log ${JSON.stringify(cp.origin.slice(0, 128))}, not ${key.name}` };
  if (cp.size !== b.size) return { ok: false, reason: `the bundle's size ${b.size} is not the checkpoint's size ${cp.size}` };
  if (b.index >= b.size) return { ok: false, reason: `index ${b.index} is outside a tree of size ${b.size}` };
  const leaf = Buffer.from(b.leafHash, 'hex');
  if (entry !== undefined) {
    let bytes: Buffer;
    try {
      bytes = Buffer.from(canonicalize(entry), 'utf8');
    } catch {
      return { ok: false, reason: 'the entry cannot be canonicalised (RFC 8785)' };
    }
    if (!leafHash(bytes).equals(leaf)) return { ok: false, reason: 'the entry does not hash to the bundle’s leaf hash' };
  }
  if (!verifyInclusion(leaf, b.index, b.size, b.inclusionProof.map((h) => Buffer.from(h, 'hex')), cp.root)) {
    return { ok: false, reason: `the inclusion proof of leaf ${b.index} does not lead to the checkpoint's root ${cp.root.toString('hex')}` };
  }
  return { ok: true, index: b.index, size: b.size, root: cp.root.toString('hex'), origin: cp.origin, signedBy: cp.signedBy };
}

function readVkeyText(text: string): Verifier | null {
  const t = text.trim();
  if (t.startsWith('{')) {
    // the answer of GET /v1/ledger/checkpoint
    try {
      const j = JSON.parse(t) as unknown;
      return isRecord(j) && typeof j.publicKey === 'string' ? parseVkey(j.publicKey) : null;
    } catch {
      return null;
    }
  }
  return parseVkey(t);
}

async function fetchServerKey(url: string, apiKeyFile: string | undefined): Promise<string> {
  let base: URL;
  try {
    base = new URL(url);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw cliError('CLI_BAD_FLAG', { detail: '--url' });
  }
  let apiKey = process.env.DFIX_API_KEY;
  if (apiKeyFile !== undefined) {
    try {
      const text = fs.readFileSync(path.resolve(apiKeyFile), 'utf8').slice(0, 4096).trim();
      try {
        const j = JSON.parse(text) as unknown;
        apiKey = isRecord(j) && typeof j.apiKey === 'string' ? j.apiKey : undefined;
      } catch {
        apiKey = text;
      }
    } catch (cause) {
      throw cliError('CLI_BAD_FLAG', { detail: '--key-file', cause });
    }
  }
  if (!apiKey || /\s/.test(apiKey)) throw cliError('CLI_API_KEY_MISSING');
  let body: unknown;
  try {
    const r = await fetch(new URL('/v1/ledger/checkpoint', base), { headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
    if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    body = JSON.parse((await r.text()).slice(0, 64 * 1024));
  } catch (cause) {
    throw cliError('BANK_LEDGER_KEY_MISSING', { detail: `${base.origin} did not answer with its key`, cause });
  }
  if (!isRecord(body) || typeof body.publicKey !== 'string' || !parseVkey(body.publicKey)) throw cliError('BANK_LEDGER_KEY_MISSING', { detail: 'no key in the answer' });
  return body.publicKey;
}

async function verifyProof(argv: readonly string[], io: Io): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { answer: 'string', 'checkpoint-key': 'string', store: 'string', url: 'string', 'key-file': 'string', entry: 'string' });
  if (flags.help) return printHelp(io, 'bank verify-proof');
  if (positionals.length) throw cliError('CLI_BAD_ARGUMENT');
  if (flags.answer === undefined) throw cliError('CLI_BAD_FLAG', { detail: '--answer' });
  let answer: unknown;
  try {
    answer = JSON.parse(readFile(path.resolve(flags.answer), 'BANK_ANSWER_INVALID').toString('utf8'));
  } catch (cause) {
    throw isAppError(cause) ? cause : cliError('BANK_ANSWER_INVALID', { detail: 'not JSON', cause });
  }
  // a run answer carries { ledger: bundle }; a bare bundle is accepted too
  const bundle = isRecord(answer) && isRecord(answer.ledger) ? answer.ledger : answer;
  let entry: unknown;
  if (flags.entry !== undefined) {
    try {
      const e = JSON.parse(readFile(path.resolve(flags.entry), 'BANK_ANSWER_INVALID', 1 << 20).toString('utf8')) as unknown;
      entry = isRecord(e) && isRecord(e.entry) && 'seq' in e ? e.entry : e; // an export line { seq, entry } or the entry
    } catch (cause) {
      throw isAppError(cause) ? cause : cliError('BANK_ANSWER_INVALID', { detail: '--entry is not JSON', cause });
    }
  }

  // the log's key: given, else pinned in the store, else the server's on first use
  const store = path.resolve(flags.store ?? DEFAULT_STORE);
  const pinnedFile = path.join(store, PINNED_KEY_FILE);
  let key: Verifier;
  let trust: 'given' | 'pinned' | 'first-use';
  let toPin: string | undefined;
  if (flags['checkpoint-key'] !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(path.resolve(flags['checkpoint-key']), 'utf8').slice(0, 64 * 1024);
    } catch (cause) {
      throw cliError('CLI_BAD_FLAG', { detail: '--checkpoint-key', cause });
    }
    const v = readVkeyText(text);
    if (!v) throw cliError('CLI_BAD_FLAG', { detail: '--checkpoint-key' });
    key = v;
    trust = 'given';
  } else if (fs.existsSync(pinnedFile)) {
    const v = readVkeyText(fs.readFileSync(pinnedFile, 'utf8').slice(0, 4096));
    if (!v) throw cliError('BANK_LEDGER_KEY_MISSING', { detail: `${pinnedFile} cannot be read` });
    key = v;
    trust = 'pinned';
  } else if (flags.url !== undefined) {
    toPin = await fetchServerKey(flags.url, flags['key-file']);
    key = parseVkey(toPin) as Verifier;
    trust = 'first-use';
    io.err(`warning: trusting the log key the server names, on first use: ${toPin.trim()} (pinned in ${pinnedFile} once a checkpoint verifies under it; compare it with the key the regulator publishes)`);
  } else throw cliError('BANK_LEDGER_KEY_MISSING');

  const verdict = verifyBundle(bundle, key, entry);
  if (verdict.ok && toPin !== undefined) {
    try {
      ensureDir(store, 0o700);
      writeFileAtomic(pinnedFile, `${toPin.trim()}\n`, 0o644);
    } catch (cause) {
      throw cliError('CLI_OUTPUT_UNWRITABLE', { detail: pinnedFile, cause });
    }
  }
  const runId = isRecord(answer) && typeof answer.runId === 'string' ? answer.runId : undefined;
  if (flags.json) io.out(JSON.stringify({ ...verdict, trust, key: `${key.name}+${key.keyId.toString('hex')}`, ...(runId ? { runId } : {}) }));
  else if (verdict.ok) io.out(`ok: ${runId ? `run ${runId} is ` : ''}leaf ${verdict.index} of the log of size ${verdict.size}, root ${verdict.root}, checkpoint signed by ${key.name}+${key.keyId.toString('hex')} (${trust === 'given' ? 'key given' : trust === 'pinned' ? 'pinned key' : 'trusted on first use'})${entry !== undefined ? '; the entry hashes to the leaf' : ''}`);
  else io.out(`INVALID: ${verdict.reason}`);
  return verdict.ok ? 0 : 1;
}

export async function bankCommand(argv: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || isHelpWord(sub)) return printHelp(io, 'bank');
  switch (sub) {
    case 'keygen':
      return keygen(rest, io);
    case 'encrypt':
      return encrypt(rest, io);
    case 'decrypt':
      return decrypt(rest, io);
    case 'verify-proof':
      return verifyProof(rest, io);
    default:
      throw cliError('CLI_UNKNOWN_COMMAND', { detail: `bank ${String(sub).slice(0, 20)}` });
  }
}
