// C2SP signed notes (c2sp.org/signed-note) with Ed25519 signatures through node:crypto,
// and the checkpoint body of c2sp.org/tlog-checkpoint.
//   body:      <origin>\n<size>\n<base64 root hash>\n[extension lines]
//   signature: \n— <key name> <base64(4-byte key id || 64-byte signature)>\n
// key id = SHA-256(<key name> || 0x0A || 0x01 || 32-byte public key)[0:4].
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

const EM_DASH = '\u2014';
const ED25519 = 0x01;
const MAX_NOTE = 16 * 1024;

export interface Verifier {
  name: string;
  keyId: Buffer;
  key: KeyObject;
  raw: Buffer; // 32-byte public key
}

export function keyId(name: string, raw: Buffer): Buffer {
  return createHash('sha256').update(Buffer.from(name, 'utf8')).update(Buffer.from([0x0a, ED25519])).update(raw).digest().subarray(0, 4);
}

/** The raw 32-byte Ed25519 public key of a key object. */
export function rawPublicKey(key: KeyObject): Buffer {
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return Buffer.from(der.subarray(der.length - 32));
}

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function verifierFromRaw(name: string, raw: Buffer): Verifier {
  if (raw.length !== 32) throw new RangeError('Ed25519 public key must be 32 bytes');
  const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  return { name, keyId: keyId(name, raw), key, raw };
}

/** The C2SP verifier key string: <name>+<hex key id>+<base64(0x01 || public key)>. */
export function vkey(v: Verifier): string {
  return `${v.name}+${v.keyId.toString('hex')}+${Buffer.concat([Buffer.from([ED25519]), v.raw]).toString('base64')}`;
}

const NAME = /^[^\s+]{1,128}$/;

// The vkey may come from a file an attacker wrote: parse defensively.
export function parseVkey(s: string): Verifier | null {
  // the base64 part may itself contain '+': split on the first two only
  const t = s.trim();
  const a = t.indexOf('+');
  const b = a < 0 ? -1 : t.indexOf('+', a + 1);
  if (a < 0 || b < 0) return null;
  const [name, id, b64] = [t.slice(0, a), t.slice(a + 1, b), t.slice(b + 1)];
  if (!NAME.test(name) || !/^[0-9a-f]{8}$/.test(id)) return null;
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length !== 33 || bytes[0] !== ED25519) return null;
  try {
    const v = verifierFromRaw(name, bytes.subarray(1));
    return v.keyId.toString('hex') === id ? v : null;
  } catch {
    return null;
  }
}

/** Signs a note body (which must end with a newline) and returns the whole note. */
export function signNote(body: string, signer: { name: string; privateKey: KeyObject; verifier: Verifier }): string {
  if (!body.endsWith('\n') || body.includes('\n\n')) throw new RangeError('note body must end with one newline and have no blank line');
  const sig = sign(null, Buffer.from(body, 'utf8'), signer.privateKey);
  return `${body}\n${EM_DASH} ${signer.name} ${Buffer.concat([signer.verifier.keyId, sig]).toString('base64')}\n`;
}

export interface OpenedNote {
  body: string;
  /** Names of the given verifiers whose signature verified. */
  verifiedBy: string[];
}

// Notes are attacker-controlled text: any malformation yields null, never a throw.
export function openNote(note: string, verifiers: readonly Verifier[]): OpenedNote | null {
  if (note.length > MAX_NOTE || !note.endsWith('\n')) return null;
  const split = note.indexOf('\n\n');
  if (split < 0) return null;
  const body = note.slice(0, split + 1);
  const sigLines = note.slice(split + 2, -1).split('\n');
  const verifiedBy: string[] = [];
  for (const line of sigLines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) return null;
    const [, name, b64] = m as unknown as [string, string, string];
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.length !== 68) continue;
    for (const v of verifiers) {
      if (v.name !== name || !v.keyId.equals(bytes.subarray(0, 4))) continue;
      if (verify(null, Buffer.from(body, 'utf8'), v.key, bytes.subarray(4))) verifiedBy.push(name);
    }
  }
  return { body, verifiedBy };
}

export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
  extensions: string[];
}

export function checkpointBody(c: Checkpoint): string {
  return `${c.origin}\n${c.size}\n${c.root.toString('base64')}\n${c.extensions.map((e) => `${e}\n`).join('')}`;
}

export function parseCheckpointBody(body: string): Checkpoint | null {
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) return null;
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (!origin || !/^(0|[1-9]\d{0,15})$/.test(sizeText)) return null;
  const root = Buffer.from(rootText, 'base64');
  if (root.length !== 32 || root.toString('base64') !== rootText) return null;
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) return null;
  return { origin, size, root, extensions };
}

/** Opens a checkpoint note: the body must parse and verify under one of the keys. */
export function openCheckpoint(note: string, verifiers: readonly Verifier[]): (Checkpoint & { note: string; signedBy: string[] }) | null {
  const opened = openNote(note, verifiers);
  if (!opened || opened.verifiedBy.length === 0) return null;
  const c = parseCheckpointBody(opened.body);
  return c ? { ...c, note, signedBy: opened.verifiedBy } : null;
}
