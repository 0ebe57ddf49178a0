import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  MemoryNodes,
  RootAccumulator,
  subtreeRoot,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from '../../ledger/merkle.js';

// The RFC 6962 test vectors of Certificate Transparency (transparency-dev/merkle,
// testonly/constants.go): eight leaves and the roots of their prefixes.
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => Buffer.from(h, 'hex'));
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const hex = (hs: readonly Hash[]) => hs.map((h) => h.toString('hex'));

function flipBit(b: Buffer, bit: number): Buffer {
  const c = Buffer.from(b);
  c[bit >> 3] = (c[bit >> 3] as number) ^ (1 << (bit & 7));
  return c;
}

const leavesOf = (n: number): Hash[] => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));

describe('RFC 6962 known answers', () => {
  it('hashes the empty tree and every prefix of the test leaves to the published roots', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe(ROOTS[0]);
    const hashes = LEAVES.map(leafHash);
    const nodes = new MemoryNodes(hashes);
    const acc = new RootAccumulator();
    for (let n = 1; n <= 8; n++) {
      expect(subtreeRoot(nodes, 0, n).toString('hex'), `size ${n}`).toBe(ROOTS[n]);
      acc.push(hashes[n - 1] as Hash);
      expect(acc.root().toString('hex')).toBe(ROOTS[n]);
    }
  });

  it('gives the published inclusion and consistency proofs', () => {
    const nodes = new MemoryNodes(LEAVES.map(leafHash));
    expect(hex(inclusionProof(nodes, 5, 8))).toEqual([
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    expect(hex(consistencyProof(nodes, 3, 8))).toEqual([
      '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
      '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
  });
});

describe('proofs for every size up to 64', () => {
  const leaves = leavesOf(64);
  const nodes = new MemoryNodes(leaves);
  const root = (n: number) => subtreeRoot(nodes, 0, n);

  it('inclusion proofs verify for every index of every size, and fail on any flipped bit', () => {
    for (let n = 1; n <= 64; n++) {
      const r = root(n);
      for (let i = 0; i < n; i++) {
        const path = inclusionProof(nodes, i, n);
        expect(verifyInclusion(leaves[i] as Hash, i, n, path, r), `${i}/${n}`).toBe(true);
        expect(verifyInclusion(leaves[i] as Hash, i, n, path, flipBit(r, (i * 7) % 256))).toBe(false);
        expect(verifyInclusion(flipBit(leaves[i] as Hash, n % 256), i, n, path, r)).toBe(false);
        if (path.length) expect(verifyInclusion(leaves[i] as Hash, i, n, path.map((p, j) => (j === i % path.length ? flipBit(p, 3) : p)), r)).toBe(false);
        // A root does not commit to the size (the signed checkpoint does): a proof must
        // fail against the root of any other size.
        if (n < 64) expect(verifyInclusion(leaves[i] as Hash, i, n + 1, path, root(n + 1))).toBe(false);
        if (n > 1) expect(verifyInclusion(leaves[i] as Hash, (i + 1) % n, n, path, r)).toBe(false);
        expect(verifyInclusion(leaves[i] as Hash, i, n, [...path, r], r)).toBe(false);
      }
    }
  });

  it('consistency proofs verify for every pair of sizes, and fail on any flipped bit', () => {
    for (let n = 1; n <= 64; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(nodes, m, n);
        expect(verifyConsistency(m, n, root(m), root(n), proof), `${m}->${n}`).toBe(true);
        expect(verifyConsistency(m, n, flipBit(root(m), 9), root(n), proof)).toBe(false);
        expect(verifyConsistency(m, n, root(m), flipBit(root(n), 200), proof)).toBe(false);
        if (proof.length) expect(verifyConsistency(m, n, root(m), root(n), proof.map((p, j) => (j === (m + n) % proof.length ? flipBit(p, 77) : p)))).toBe(false);
        if (m < n) {
          expect(verifyConsistency(m, n - 1, root(m), root(n - 1), proof)).toBe(false);
          expect(verifyConsistency(m + 1, n, root(m), root(n), proof)).toBe(false);
        }
      }
    }
  });

  it('refuses nonsense sizes', () => {
    expect(verifyInclusion(leaves[0] as Hash, 0, 0, [], EMPTY_ROOT)).toBe(false);
    expect(verifyInclusion(leaves[0] as Hash, -1, 4, [], EMPTY_ROOT)).toBe(false);
    expect(verifyConsistency(0, 4, EMPTY_ROOT, root(4), [])).toBe(false);
    expect(verifyConsistency(5, 4, root(4), root(4), [])).toBe(false);
    expect(() => inclusionProof(nodes, 4, 4)).toThrow();
    expect(() => consistencyProof(nodes, 0, 4)).toThrow();
  });
});
