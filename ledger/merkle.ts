// RFC 6962 Merkle trees (§2.1) with the proof verification of RFC 9162 (§2.1.3.2 and
// §2.1.4.2). Leaves and nodes are 32-byte SHA-256 hashes.
import { createHash, hash } from 'node:crypto';

export type Hash = Buffer;

const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);

/** RFC 6962 §2.1: MTH({}) = SHA-256(). */
export const EMPTY_ROOT: Hash = createHash('sha256').digest();

/** RFC 6962 §2.1: leaf hash SHA-256(0x00 || d). */
export function leafHash(data: Uint8Array): Hash {
  return hash('sha256', Buffer.concat([LEAF, data]), 'buffer') as Hash;
}

// One scratch buffer for node hashing (0x01 || left || right); hash() returns a new buffer.
const scratch = Buffer.alloc(65);

/** RFC 6962 §2.1: node hash SHA-256(0x01 || left || right). */
export function nodeHash(left: Hash, right: Hash): Hash {
  if (left.length !== 32 || right.length !== 32) return createHash('sha256').update(NODE).update(left).update(right).digest();
  scratch[0] = 0x01;
  left.copy(scratch, 1);
  right.copy(scratch, 33);
  return hash('sha256', scratch, 'buffer') as Hash;
}

/** The largest power of two strictly below n (n > 1). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * Hashes of complete, aligned subtrees: level 0 are the leaves, and node(level, i) covers
 * leaves [i * 2^level, (i + 1) * 2^level).
 */
export interface NodeSource {
  node(level: number, index: number): Hash;
}

const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;
const log2 = (n: number): number => 31 - Math.clz32(n);

/** MTH(D[start:end]) from cached subtrees: O(log n) lookups. */
export function subtreeRoot(src: NodeSource, start: number, end: number): Hash {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  if (isPow2(n) && start % n === 0) return src.node(log2(n), start / n);
  const k = splitPoint(n);
  return nodeHash(subtreeRoot(src, start, start + k), subtreeRoot(src, start + k, end));
}

/** RFC 6962 §2.1.1: PATH(m, D[0:n]), leaf to root. */
export function inclusionProof(src: NodeSource, index: number, size: number): Hash[] {
  if (!(index >= 0 && index < size)) throw new RangeError('inclusion proof: index outside tree');
  const path: Hash[] = [];
  const walk = (m: number, start: number, end: number): void => {
    const n = end - start;
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, start, start + k);
      path.push(subtreeRoot(src, start + k, end));
    } else {
      walk(m - k, start + k, end);
      path.push(subtreeRoot(src, start, start + k));
    }
  };
  walk(index, 0, size);
  return path;
}

/** RFC 6962 §2.1.2: PROOF(m, D[0:n]). */
export function consistencyProof(src: NodeSource, from: number, to: number): Hash[] {
  if (!(from >= 1 && from <= to)) throw new RangeError('consistency proof: sizes out of order');
  const path: Hash[] = [];
  const sub = (m: number, start: number, end: number, whole: boolean): void => {
    const n = end - start;
    if (m === n) {
      if (!whole) path.push(subtreeRoot(src, start, end));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, start, start + k, whole);
      path.push(subtreeRoot(src, start + k, end));
    } else {
      sub(m - k, start + k, end, false);
      path.push(subtreeRoot(src, start, start + k));
    }
  };
  sub(from, 0, to, true);
  return path;
}

/** RFC 9162 §2.1.3.2: verifies that `leaf` is at `index` of the tree of `size` with `root`. */
export function verifyInclusion(leaf: Hash, index: number, size: number, path: readonly Hash[], root: Hash): boolean {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) return false;
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && r.equals(root);
}

/** RFC 9162 §2.1.4.2: verifies that the tree (to, toRoot) extends (from, fromRoot). */
export function verifyConsistency(from: number, to: number, fromRoot: Hash, toRoot: Hash, proof: readonly Hash[]): boolean {
  if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= 1 && from <= to)) return false;
  if (from === to) return proof.length === 0 && fromRoot.equals(toRoot);
  const path = isPow2(from) ? [fromRoot, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = BigInt(from - 1);
  let sn = BigInt(to - 1);
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0] as Hash;
  let sr = path[0] as Hash;
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return fr.equals(fromRoot) && sr.equals(toRoot) && sn === 0n;
}

/**
 * A streaming root: push leaf hashes in order; root() is MTH of what was pushed. Keeps one
 * hash per set bit of the size (the perfect subtrees, largest first).
 */
export class RootAccumulator {
  private stack: { size: number; hash: Hash }[] = [];
  size = 0;

  push(leaf: Hash): void {
    let node = { size: 1, hash: leaf };
    while (this.stack.length && (this.stack[this.stack.length - 1] as { size: number }).size === node.size) {
      const left = this.stack.pop() as { size: number; hash: Hash };
      node = { size: left.size * 2, hash: nodeHash(left.hash, node.hash) };
    }
    this.stack.push(node);
    this.size++;
  }

  root(): Hash {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let acc = (this.stack[this.stack.length - 1] as { hash: Hash }).hash;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash((this.stack[i] as { hash: Hash }).hash, acc);
    return acc;
  }
}

/** All cached levels of a list of leaves, in memory (tests, offline tools). */
export class MemoryNodes implements NodeSource {
  private readonly levels: Hash[][];
  constructor(leaves: readonly Hash[]) {
    this.levels = [[...leaves]];
    for (let l = 0; (this.levels[l] as Hash[]).length > 1; l++) {
      const cur = this.levels[l] as Hash[];
      const next: Hash[] = [];
      for (let i = 0; i + 1 < cur.length; i += 2) next.push(nodeHash(cur[i] as Hash, cur[i + 1] as Hash));
      this.levels.push(next);
    }
  }
  node(level: number, index: number): Hash {
    const h = this.levels[level]?.[index];
    if (!h) throw new RangeError('no such node');
    return h;
  }
}
