// Every test vector of docs/integration.md (docs/vectors/) checked with the platform's own
// code, and with the verification steps exactly as the document gives them (written here a
// second time, as a Java or Python implementer would), so the document cannot drift.
import { createHash, createHmac, createPublicKey, verify } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../cli/bank.js';
import { run } from '../../cli/main.js';
import { canonicalize } from '../../core/canonical-json.js';
import { BankKeys } from '../../encryption/bank.js';
import { validateJointInput, validatePublicKey } from '../../encryption/evaluate.js';
import { GENESIS_PREV } from '../../ledger/entry.js';
import { leafHash, RootAccumulator, verifyInclusion } from '../../ledger/merkle.js';
import { openCheckpoint, parseVkey, verifierFromRaw } from '../../ledger/note.js';
import { loadPolicy } from '../../policies/policy.schema.js';
import { encryptionParameters } from '../../server/routes/encryption.js';
import { sign as signWebhook, verify as verifyWebhook } from '../../sandbox/webhooks/signature.js';
import { capture } from '../helpers/cli.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';
import { buildLedgerVectors, sealHeader, VECTORS, writeCkksVector, writeLedgerVectors, writeParametersVector } from './vectors.js';

const read = (f: string) => fs.readFileSync(path.join(VECTORS, f), 'utf8');
const json = (f: string) => JSON.parse(read(f)) as Record<string, any>;

beforeAll(async () => {
  // DFIX_WRITE_VECTORS=all (or ledger, params, ckks: one group; the CKKS keys are random)
  const which = process.env.DFIX_WRITE_VECTORS;
  if (which === 'all' || which === 'ledger') writeLedgerVectors();
  if (which === 'all' || which === 'params') await writeParametersVector();
  if (which === 'all' || which === 'ckks') await writeCkksVector();
}, 120_000);

// --- the steps of docs/integration.md, written independently of ledger/ ---------------
const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const docLeaf = (entryBytes: Buffer) => sha256(Buffer.from([0x00]), entryBytes);
const docNode = (l: Buffer, r: Buffer) => sha256(Buffer.from([0x01]), l, r);

/** RFC 9162 §2.1.3.2, step by step as docs/integration.md gives it. */
function docVerifyInclusion(index: number, size: number, leaf: Buffer, path: Buffer[], root: Buffer): boolean {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = docNode(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else r = docNode(r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** A C2SP signed note, opened as docs/integration.md says. */
function docOpenNote(note: string, name: string, pub: Buffer): { origin: string; size: number; root: Buffer } | null {
  const split = note.indexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return null;
  const body = note.slice(0, split + 1);
  const keyId = sha256(Buffer.from(name, 'utf8'), Buffer.from([0x0a, 0x01]), pub).subarray(0, 4);
  const spki = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pub]), format: 'der', type: 'spki' });
  const ok = note
    .slice(split + 2, -1)
    .split('\n')
    .some((line) => {
      if (!line.startsWith(`\u2014 ${name} `)) return false;
      const blob = Buffer.from(line.slice(`\u2014 ${name} `.length), 'base64');
      return blob.length === 68 && blob.subarray(0, 4).equals(keyId) && verify(null, Buffer.from(body, 'utf8'), spki, blob.subarray(4));
    });
  if (!ok) return null;
  const [origin, size, root] = body.slice(0, -1).split('\n') as [string, string, string];
  return { origin, size: Number(size), root: Buffer.from(root, 'base64') };
}

describe('docs/vectors: checkpoint', () => {
  it('is what the platform builds today, byte for byte', () => {
    const v = buildLedgerVectors();
    expect(read('checkpoint.note')).toBe(v.note);
    expect(json('checkpoint.json')).toEqual(JSON.parse(JSON.stringify(v.checkpoint)));
  });

  it('opens under its verifier key with the expected fields (ledger/note.ts and the documented steps)', () => {
    const c = json('checkpoint.json');
    expect(c.note).toBe(read('checkpoint.note'));
    const pub = Buffer.from(c.publicKeyHex, 'hex');
    const v = verifierFromRaw(c.keyName, pub);
    expect(v.keyId.toString('hex')).toBe(c.keyIdHex);
    expect(parseVkey(c.verifierKey)?.raw.equals(pub)).toBe(true);
    expect(sha256(Buffer.from(c.keyIdInputHex, 'hex')).subarray(0, 4).toString('hex')).toBe(c.keyIdHex);
    const opened = openCheckpoint(c.note, [v]);
    expect(opened).toMatchObject({ origin: c.parsed.origin, size: c.parsed.size, extensions: [] });
    expect(opened!.root.toString('hex')).toBe(c.parsed.rootHashHex);
    expect(opened!.root.toString('base64')).toBe(c.parsed.rootHashBase64);
    expect(c.note).toBe(`${c.body}\n${c.signatureLine}\n`);
    expect(c.signatureLine).toBe(`\u2014 ${c.keyName} ${Buffer.from(c.signatureBlobHex, 'hex').toString('base64')}`);
    expect(c.signatureBlobHex).toBe(c.keyIdHex + c.signatureHex);
    const doc = docOpenNote(c.note, c.keyName, pub);
    expect(doc).toEqual({ origin: c.parsed.origin, size: c.parsed.size, root: Buffer.from(c.parsed.rootHashHex, 'hex') });
    // one changed byte of the body, or another key: no longer verifies
    const forged = c.note.replace(`\n${c.parsed.size}\n`, `\n${c.parsed.size + 1}\n`);
    expect(openCheckpoint(forged, [v])).toBeNull();
    expect(docOpenNote(forged, c.keyName, pub)).toBeNull();
    expect(openCheckpoint(c.note, [verifierFromRaw(c.keyName, Buffer.alloc(32, 7))])).toBeNull();
  });
});

describe('docs/vectors: inclusion proof', () => {
  it('is what the platform builds today, byte for byte', () => {
    expect(json('inclusion.json')).toEqual(JSON.parse(JSON.stringify(buildLedgerVectors().inclusion)));
  });

  it('entries are RFC 8785 canonical, chained, and hash to the leaves and the signed root', () => {
    const v = json('inclusion.json');
    const acc = new RootAccumulator();
    (v.entries as string[]).forEach((text, i) => {
      const parsed = JSON.parse(text);
      expect(canonicalize(parsed)).toBe(text);
      expect(parsed.prev).toBe(i === 0 ? GENESIS_PREV : v.leafHashes[i - 1]);
      expect(leafHash(Buffer.from(text, 'utf8')).toString('hex')).toBe(v.leafHashes[i]);
      expect(docLeaf(Buffer.from(text, 'utf8')).toString('hex')).toBe(v.leafHashes[i]);
      acc.push(Buffer.from(v.leafHashes[i], 'hex'));
    });
    expect(acc.root().toString('hex')).toBe(v.rootHashHex);
    expect(json('checkpoint.json').parsed.rootHashHex).toBe(v.rootHashHex);
    // the entry as a client holds it (keys in another order) canonicalises to the leaf bytes
    expect(Object.keys(v.entry)).not.toEqual(Object.keys(JSON.parse(v.entryCanonical)));
    expect(canonicalize(v.entry)).toBe(v.entryCanonical);
    expect(v.entries[v.index]).toBe(v.entryCanonical);
    expect(leafHash(Buffer.from(v.entryCanonical, 'utf8')).toString('hex')).toBe(v.leafHash);
  });

  it('every proof verifies (ledger/merkle.ts and the documented steps), and a flipped byte does not', () => {
    const v = json('inclusion.json');
    const root = Buffer.from(v.rootHashHex, 'hex');
    const hashes = (p: string[]) => p.map((h) => Buffer.from(h, 'hex'));
    expect(v.inclusionProof).toEqual(v.allProofs[v.index].inclusionProof);
    for (const { index, inclusionProof } of v.allProofs as { index: number; inclusionProof: string[] }[]) {
      const leaf = Buffer.from(v.leafHashes[index], 'hex');
      expect(verifyInclusion(leaf, index, v.size, hashes(inclusionProof), root)).toBe(true);
      expect(docVerifyInclusion(index, v.size, leaf, hashes(inclusionProof), root)).toBe(true);
    }
    const leaf = Buffer.from(v.leafHash, 'hex');
    const badPath = hashes(v.inclusionProof);
    badPath[1]![0]! ^= 1;
    const badLeaf = Buffer.from(leaf);
    badLeaf[31]! ^= 1;
    for (const [l, p] of [[badLeaf, hashes(v.inclusionProof)], [leaf, badPath]] as const) {
      expect(verifyInclusion(l, v.index, v.size, p, root)).toBe(false);
      expect(docVerifyInclusion(v.index, v.size, l, p, root)).toBe(false);
    }
  });

  it('the bundle verifies with dfix bank verify-proof under the test key, with its entry', async () => {
    const v = json('inclusion.json');
    const c = json('checkpoint.json');
    expect(verifyBundle(v.bundle, parseVkey(c.verifierKey)!, v.entry)).toMatchObject({ ok: true, index: v.index, size: v.size, root: v.rootHashHex });
    // a note of another origin, validly signed by the same key: not this log's
    const { testSigner } = await import('./vectors.js');
    const { checkpointBody, signNote } = await import('../../ledger/note.js');
    const foreign = signNote(checkpointBody({ origin: 'another.example/log', size: v.size, root: Buffer.from(v.rootHashHex, 'hex'), extensions: [] }), testSigner());
    expect(verifyBundle({ ...v.bundle, checkpoint: foreign }, parseVkey(c.verifierKey)!)).toMatchObject({ ok: false, reason: expect.stringMatching(/is of the log "another.example\/log"/) });
    const dir = tmpDir('dfix-vectors-');
    try {
      fs.writeFileSync(path.join(dir, 'answer.json'), JSON.stringify({ runId: 'run_01', ledger: v.bundle }));
      fs.writeFileSync(path.join(dir, 'log.pub'), c.verifierKey);
      fs.writeFileSync(path.join(dir, 'entry.json'), JSON.stringify(v.entry));
      const io = capture();
      expect(await run(['bank', 'verify-proof', '--answer', path.join(dir, 'answer.json'), '--checkpoint-key', path.join(dir, 'log.pub'), '--entry', path.join(dir, 'entry.json')], io)).toBe(0);
      expect(io.stdout.join('')).toMatch(/^ok: run run_01 is leaf 9 of the log of size 11/);
    } finally {
      rmDir(dir);
    }
  });
});

describe('docs/vectors: CKKS', () => {
  const dir = path.join(VECTORS, 'ckks');
  const params = loadPolicy().policy.encryption;

  it('the parameters are the policy and the published GET /v1/encryption/parameters answer', async () => {
    expect(json('ckks/parameters.json')).toEqual(params);
    expect(json('encryption-parameters.json')).toEqual(await encryptionParameters(params));
  });

  it('keys and ciphertext carry SEAL 4.1 headers with zstd compression and their own size; under 1 MB in all', () => {
    const e = json('ckks/expected.json');
    const ct = Buffer.from(json('ckks/ciphertexts.json').ciphertexts[0], 'base64');
    const files: [string, Buffer][] = [
      ['public.key', fs.readFileSync(path.join(dir, 'public.key'))],
      ['secret.key', fs.readFileSync(path.join(dir, 'secret.key'))],
      ['ciphertexts[0]', ct],
    ];
    for (const [name, bytes] of files) {
      const h = sealHeader(bytes);
      expect(h).toEqual(e.headers[name]);
      expect(h).toEqual({ magicHex: 'a15e', headerSize: 16, versionMajor: 4, versionMinor: 1, comprMode: 2, reserved: 0, size: bytes.length });
    }
    const total = fs.readdirSync(dir).reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
    expect(total).toBeLessThan(1024 * 1024);
  });

  it('the platform accepts the public key and the ciphertext as a bank would send them', async () => {
    const pk = fs.readFileSync(path.join(dir, 'public.key'));
    const ct = Buffer.from(json('ckks/ciphertexts.json').ciphertexts[0], 'base64');
    await validatePublicKey(params, pk);
    await validateJointInput(params, pk, [ct], 1);
  });

  it('decrypts to the expected values within 1e-6 (BankKeys and dfix bank decrypt)', async () => {
    const e = json('ckks/expected.json');
    const ct = Buffer.from(json('ckks/ciphertexts.json').ciphertexts[0], 'base64');
    const keys = await BankKeys.load(params, fs.readFileSync(path.join(dir, 'secret.key')), fs.readFileSync(path.join(dir, 'public.key')));
    try {
      const got = keys.decrypt(ct, e.slots);
      e.values.forEach((x: number, i: number) => expect(Math.abs(got[i]! - x)).toBeLessThan(e.tolerance));
    } finally {
      keys.dispose();
    }
    expect(read('ckks/features.csv').trim().split('\n').slice(1).map(Number)).toEqual(e.values);
    const tmp = tmpDir('dfix-vectors-');
    try {
      fs.writeFileSync(path.join(tmp, 'ct.b64'), json('ckks/ciphertexts.json').ciphertexts[0]);
      const io = capture();
      expect(await run(['bank', 'decrypt', '--key', dir, '--in', path.join(tmp, 'ct.b64'), '--slots', String(e.slots), '--json'], io)).toBe(0);
      const out = JSON.parse(io.stdout.join('')) as { scores: number[] };
      e.values.forEach((x: number, i: number) => expect(Math.abs(out.scores[i]! - x)).toBeLessThan(e.tolerance));
    } finally {
      rmDir(tmp);
    }
  });
});

describe('docs/integration.md', () => {
  it('names every vector file, and the parameters it states are the policy', () => {
    const params = loadPolicy().policy.encryption;
    const doc = fs.readFileSync(path.resolve('docs/integration.md'), 'utf8');
    const files = [...fs.readdirSync(VECTORS).filter((f) => f !== 'ckks'), ...fs.readdirSync(path.join(VECTORS, 'ckks')).map((f) => `ckks/${f}`)];
    for (const f of files) expect(doc, f).toContain(`vectors/${f}`);
    expect(doc).toContain(`N = ${params.polyModulusDegree}`);
    expect(doc).toContain(`{${params.coeffModulusBits.join(', ')}}`);
    expect(doc).toContain(`2^${params.scaleBits}`);
    const p = json('encryption-parameters.json');
    for (const q of p.coeffModulus as string[]) expect(doc).toContain(q);
  });
});

describe('vectors/webhook.json (docs/integration.md, 7)', () => {
  const v = json('webhook.json') as { secret: string; headers: Record<string, string>; body: string };
  it('step 3 as the document gives it yields the listed signature, and the platform signs the same', () => {
    const key = Buffer.from(v.secret.slice('whsec_'.length), 'base64');
    expect(key).toHaveLength(32);
    const expected = createHmac('sha256', key).update(`${v.headers['webhook-id']}.${v.headers['webhook-timestamp']}.${v.body}`).digest('base64');
    expect(v.headers['webhook-signature']).toBe(`v1,${expected}`);
    expect(signWebhook(v.secret, v.headers['webhook-id'] as string, Number(v.headers['webhook-timestamp']), v.body)).toBe(v.headers['webhook-signature']);
  });
  it('the platform verifies it within 5 minutes of its timestamp, and refuses a changed body or an old timestamp', () => {
    const ts = Number(v.headers['webhook-timestamp']);
    expect(verifyWebhook(v.secret, v.headers, v.body, ts + 299)).toBe(true);
    expect(verifyWebhook(v.secret, v.headers, v.body, ts + 301)).toBe(false);
    expect(verifyWebhook(v.secret, v.headers, v.body.replace('subjects', 'aggregate'), ts)).toBe(false);
  });
});
