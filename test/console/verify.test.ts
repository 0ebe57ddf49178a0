// The console's in-browser proof verification (console/src/verify.ts, written from
// docs/integration.md), run here on Node's WebCrypto against the published test vectors
// and a live log: every leaf of the vectors verifies; a changed entry, path, root, size or
// signature does not.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalJson, checkNoteSignature, entryLeafHash, fromHex, parseCheckpointBody, parseVkey, rootFromInclusion, splitNote, toHex, verifyInclusion } from '../../console/src/verify.js';

const cp = JSON.parse(fs.readFileSync('docs/vectors/checkpoint.json', 'utf8')) as { verifierKey: string; note: string; keyIdHex: string; parsed: { size: number; rootHashHex: string } };
const inc = JSON.parse(fs.readFileSync('docs/vectors/inclusion.json', 'utf8')) as {
  entries: string[];
  leafHashes: string[];
  size: number;
  rootHashHex: string;
  entry: unknown;
  entryCanonical: string;
  leafHash: string;
  allProofs: { index: number; inclusionProof: string[] }[];
};
const hex = (s: string) => fromHex(s) as Uint8Array;

describe('console verify.ts on the test vectors', () => {
  it('canonicalises an entry as RFC 8785 and hashes it to its leaf', async () => {
    expect(canonicalJson(inc.entry)).toBe(inc.entryCanonical);
    expect(toHex(await entryLeafHash(inc.entry))).toBe(inc.leafHash);
    for (const [i, e] of inc.entries.entries()) expect(toHex(await entryLeafHash(JSON.parse(e)))).toBe(inc.leafHashes[i]);
    expect(() => canonicalJson({ x: 0.5 })).toThrow();
  });

  it('leads every proof to the root, and no changed proof', async () => {
    for (const p of inc.allProofs) {
      const root = await rootFromInclusion(p.index, inc.size, hex(inc.leafHashes[p.index] as string), p.inclusionProof.map(hex));
      expect(root && toHex(root), `leaf ${p.index}`).toBe(inc.rootHashHex);
      // another leaf, a flipped byte of the path, a wrong size: not the root
      const other = await rootFromInclusion(p.index, inc.size, hex(inc.leafHashes[(p.index + 1) % inc.size] as string), p.inclusionProof.map(hex));
      expect(other && toHex(other)).not.toBe(inc.rootHashHex);
      const flipped = p.inclusionProof.map(hex);
      const first = flipped[0] as Uint8Array;
      first[5] = (first[5] as number) ^ 1;
      const bad = await rootFromInclusion(p.index, inc.size, hex(inc.leafHashes[p.index] as string), flipped);
      expect(bad && toHex(bad)).not.toBe(inc.rootHashHex);
    }
    expect(await rootFromInclusion(11, 11, hex(inc.leafHash), [])).toBeNull();
    // the last leaf's path read as if the tree were larger (the size is the signed one)
    const last = inc.allProofs.find((p) => p.index === 10)!;
    const grown = await rootFromInclusion(10, 12, hex(inc.leafHashes[10] as string), last.inclusionProof.map(hex));
    expect(grown && toHex(grown)).not.toBe(inc.rootHashHex);
  });

  it('verifies the checkpoint note under its key (Ed25519), and no altered note or key', async () => {
    const key = await parseVkey(cp.verifierKey);
    expect(key && toHex(key.keyId)).toBe(cp.keyIdHex);
    expect(await checkNoteSignature(cp.note, key!)).toBe('verified');
    const body = parseCheckpointBody(splitNote(cp.note)!.body);
    expect(body && { size: body.size, root: toHex(body.root) }).toEqual({ size: cp.parsed.size, root: cp.parsed.rootHashHex });
    expect(await checkNoteSignature(cp.note.replace('\n11\n', '\n12\n'), key!)).toBe('failed');
    // a key id that does not match its key is refused when parsed
    expect(await parseVkey(cp.verifierKey.replace(cp.keyIdHex, '00000000'))).toBeNull();
  });

  it('verifyInclusion: verified, pending past the checkpoint, failed when tampered', async () => {
    const proofs = new Map(inc.allProofs.map((p) => [p.index, p.inclusionProof]));
    const server = (note: string, tamper?: (path: string[]) => string[]) => async <T>(url: string): Promise<T> => {
      if (url === '/v1/ledger/checkpoint') return { size: 11, rootHash: inc.rootHashHex, note, publicKey: cp.verifierKey, origin: 'dfix-sandbox.local/ledger' } as T;
      const u = new URL(url, 'http://x');
      const path = proofs.get(Number(u.searchParams.get('index'))) as string[];
      return { path: tamper ? tamper(path) : path } as T;
    };
    expect(await verifyInclusion(9, hex(inc.leafHash), server(cp.note))).toMatchObject({ outcome: 'verified', size: 11, keyId: cp.keyIdHex, signature: 'verified' });
    expect(await verifyInclusion(11, hex(inc.leafHash), server(cp.note))).toMatchObject({ outcome: 'pending' });
    expect(await verifyInclusion(8, hex(inc.leafHash), server(cp.note))).toMatchObject({ outcome: 'failed', reason: 'path' });
    const flip = (path: string[]) => [path[0]!.replace(/^./, (c) => (c === '0' ? '1' : '0')), ...path.slice(1)];
    expect(await verifyInclusion(9, hex(inc.leafHash), server(cp.note, flip))).toMatchObject({ outcome: 'failed', reason: 'path' });
    const forged = cp.note.replace(/ (\S+)\n$/, (_, b64: string) => ` ${b64.slice(0, 10)}${b64[10] === 'A' ? 'B' : 'A'}${b64.slice(11)}\n`);
    expect(await verifyInclusion(9, hex(inc.leafHash), server(forged))).toMatchObject({ outcome: 'failed', reason: 'signature' });
  });
});
