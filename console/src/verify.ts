// Verifying a ledger inclusion proof in the browser, written from docs/integration.md
// section 5 (no server code): the checkpoint is a C2SP signed note (Ed25519, WebCrypto),
// leaves are SHA-256(0x00 || RFC 8785 canonical JSON of the entry), and the path is checked
// with RFC 9162 §2.1.3.2. Everything here is pure but for crypto.subtle.

const enc = new TextEncoder();

export const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export function fromHex(s: string): Uint8Array | null {
  if (!/^(?:[0-9a-f]{2})*$/i.test(s)) return null;
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
}

function fromBase64(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return null;
  try {
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Whether this page may use WebCrypto (a secure context: HTTPS, or loopback). */
export const hasWebCrypto = () => typeof crypto !== 'undefined' && crypto.subtle !== undefined;

export async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concat(...parts)));
}

/**
 * RFC 8785 canonical JSON for ledger entries (integers, strings, booleans, null, arrays and
 * objects: entries hold no floats): keys sorted by UTF-16 code units, strings as
 * JSON.stringify writes them, no whitespace.
 */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError('ledger entries hold integers only');
    return String(v);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    // the default sort compares UTF-16 code units, as RFC 8785 asks
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  throw new TypeError('not JSON');
}

/** RFC 6962 leaf hash of an entry: SHA-256(0x00 || canonical JSON bytes). */
export const entryLeafHash = (entry: unknown) => sha256(new Uint8Array([0]), enc.encode(canonicalJson(entry)));

/** RFC 9162 §2.1.3.2: the root an inclusion path leads to, or null if the path cannot be one. */
export async function rootFromInclusion(index: number, size: number, leaf: Uint8Array, path: Uint8Array[]): Promise<Uint8Array | null> {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size) || path.length > 64) return null;
  // sizes below 2^53: BigInt keeps the shifts exact beyond 32 bits
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = leaf;
  const one = new Uint8Array([1]);
  for (const p of path) {
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await sha256(one, p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await sha256(one, r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

export interface VerifierKey {
  name: string;
  keyId: Uint8Array;
  raw: Uint8Array;
}

/** A C2SP verifier key string `<name>+<hex key id>+<base64(0x01 || key)>`, its key id recomputed. */
export async function parseVkey(s: string): Promise<VerifierKey | null> {
  const t = s.trim();
  const a = t.indexOf('+');
  const b = a < 0 ? -1 : t.indexOf('+', a + 1);
  if (a < 1 || b < 0) return null;
  const [name, id, b64] = [t.slice(0, a), t.slice(a + 1, b), t.slice(b + 1)];
  const bytes = fromBase64(b64);
  const keyId = fromHex(id);
  if (!/^[^\s+]{1,128}$/.test(name) || !keyId || keyId.length !== 4 || !bytes || bytes.length !== 33 || bytes[0] !== 0x01) return null;
  const raw = bytes.subarray(1);
  const expected = (await sha256(enc.encode(name), new Uint8Array([0x0a, 0x01]), raw)).subarray(0, 4);
  return equal(expected, keyId) ? { name, keyId, raw } : null;
}

export interface CheckpointBody {
  origin: string;
  size: number;
  root: Uint8Array;
}

/** The note's body (up to the first blank line) and its signature lines. */
export function splitNote(note: string): { body: string; signatures: { name: string; bytes: Uint8Array }[] } | null {
  if (note.length > 16 * 1024 || !note.endsWith('\n')) return null;
  const split = note.indexOf('\n\n');
  if (split < 0) return null;
  const signatures: { name: string; bytes: Uint8Array }[] = [];
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    const bytes = m ? fromBase64(m[2] as string) : null;
    if (!m || !bytes) return null;
    signatures.push({ name: m[1] as string, bytes });
  }
  return { body: note.slice(0, split + 1), signatures };
}

export function parseCheckpointBody(body: string): CheckpointBody | null {
  const lines = body.slice(0, -1).split('\n');
  const [origin, sizeText, rootText] = lines;
  if (!origin || !sizeText || !rootText || !/^(0|[1-9]\d{0,15})$/.test(sizeText)) return null;
  const root = fromBase64(rootText);
  const size = Number(sizeText);
  return root && root.length === 32 && Number.isSafeInteger(size) ? { origin, size, root } : null;
}

export type SignatureCheck = 'verified' | 'failed' | 'unsupported';

/** Whether one signature line of `key` verifies the body (Ed25519); 'unsupported' when the browser has no Ed25519. */
export async function checkNoteSignature(note: string, key: VerifierKey): Promise<SignatureCheck> {
  const parts = splitNote(note);
  if (!parts) return 'failed';
  let cryptoKey: Awaited<ReturnType<typeof crypto.subtle.importKey>>;
  try {
    cryptoKey = await crypto.subtle.importKey('raw', new Uint8Array(key.raw), { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return 'unsupported';
  }
  const body = enc.encode(parts.body);
  for (const s of parts.signatures) {
    if (s.name !== key.name || s.bytes.length !== 68 || !equal(s.bytes.subarray(0, 4), key.keyId)) continue;
    if (await crypto.subtle.verify({ name: 'Ed25519' }, cryptoKey, new Uint8Array(s.bytes.subarray(4)), body)) return 'verified';
  }
  return 'failed';
}

export interface Verification {
  /** verified: path and signature; pathOnly: the path, the signature not checked (no Ed25519 here). */
  outcome: 'verified' | 'pathOnly' | 'failed' | 'pending';
  reason?: 'no-webcrypto' | 'key' | 'note' | 'signature' | 'origin' | 'not-yet-checkpointed' | 'path' | 'leaf';
  index: number;
  size?: number;
  keyId?: string;
  signature?: SignatureCheck;
}

export interface CheckpointAnswer {
  size: number;
  rootHash: string;
  note: string;
  publicKey: string;
  origin: string;
}

/**
 * Verifies that leaf `index`, whose hash is `leaf`, is in the log under the latest
 * checkpoint: fetches the checkpoint and the proof through `fetchJson`, checks the note's
 * signature under the key the server names, and the path to the signed root.
 */
export async function verifyInclusion(index: number, leaf: Uint8Array, fetchJson: <T>(path: string) => Promise<T>): Promise<Verification> {
  if (!hasWebCrypto()) return { outcome: 'failed', reason: 'no-webcrypto', index };
  const cp = await fetchJson<CheckpointAnswer>('/v1/ledger/checkpoint');
  const key = await parseVkey(cp.publicKey);
  if (!key) return { outcome: 'failed', reason: 'key', index };
  const keyId = toHex(key.keyId);
  const parts = splitNote(cp.note);
  const body = parts && parseCheckpointBody(parts.body);
  if (!body) return { outcome: 'failed', reason: 'note', index, keyId };
  if (body.origin !== key.name || body.origin !== cp.origin) return { outcome: 'failed', reason: 'origin', index, keyId };
  const signature = await checkNoteSignature(cp.note, key);
  if (signature === 'failed') return { outcome: 'failed', reason: 'signature', index, size: body.size, keyId, signature };
  if (index >= body.size) return { outcome: 'pending', reason: 'not-yet-checkpointed', index, size: body.size, keyId, signature };
  const proof = await fetchJson<{ path: string[] }>(`/v1/ledger/proofs/inclusion?index=${index}&size=${body.size}`);
  const path = proof.path.map(fromHex);
  if (path.some((p) => !p || p.length !== 32)) return { outcome: 'failed', reason: 'path', index, size: body.size, keyId, signature };
  const root = await rootFromInclusion(index, body.size, leaf, path as Uint8Array[]);
  if (!root || !equal(root, body.root)) return { outcome: 'failed', reason: 'path', index, size: body.size, keyId, signature };
  return { outcome: signature === 'verified' ? 'verified' : 'pathOnly', index, size: body.size, keyId, signature };
}
