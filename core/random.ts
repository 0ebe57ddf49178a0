// Random identifiers from node:crypto, drawn in blocks: one call for 4 KiB rather than one
// per identifier (as crypto.randomUUID does). For identifiers only; secrets such as API
// keys take their own randomBytes call.
import { randomBytes } from 'node:crypto';

const BLOCK = 4096;
let pool = Buffer.alloc(0);
let at = 0;

export function randomId(bytes: number, encoding: 'hex' | 'base64url'): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 64) throw new RangeError('bytes');
  if (at + bytes > pool.length) {
    pool = randomBytes(BLOCK);
    at = 0;
  }
  const s = pool.toString(encoding, at, at + bytes);
  pool.fill(0, at, at + bytes);
  at += bytes;
  return s;
}
