// The test vectors of docs/integration.md (docs/vectors/), built with the platform's own
// code. The checkpoint and inclusion vectors are deterministic (a fixed test key, fixed
// entries; Ed25519 signatures are deterministic), so the test rebuilds them and compares
// byte for byte. The CKKS vector is random (keys and encryption) and is written by the
// `dfix bank` commands; the test checks it instead. Regenerate everything with
//   DFIX_WRITE_VECTORS=all npx vitest run test/docs/vectors.test.ts   (or ledger, params, ckks)
import { createHash, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { run } from '../../cli/main.js';
import { DEFAULTS } from '../../core/config.js';
import { GENESIS_PREV, makeEntry, type EntryFields, type EntryType } from '../../ledger/entry.js';
import { signerFrom } from '../../ledger/keys.js';
import { inclusionProof, leafHash, MemoryNodes, subtreeRoot } from '../../ledger/merkle.js';
import { checkpointBody, signNote, vkey } from '../../ledger/note.js';
import { loadPolicy } from '../../policies/policy.schema.js';
import { encryptionParameters } from '../../server/routes/encryption.js';
import { capture } from '../helpers/cli.js';

export const VECTORS = path.resolve('docs/vectors');

/** A TEST key: its seed is published in the vector. Never a real log's key. */
export const TEST_SEED = Buffer.from('dfix test vector key: never use'.padEnd(32, '!'), 'utf8');
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

export function testSigner() {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, TEST_SEED]), format: 'der', type: 'pkcs8' });
  return signerFrom(DEFAULTS.ledgerOrigin, privateKey);
}

const sha = (c: string) => `sha256:${c.repeat(64).slice(0, 64)}`;

/** Eleven entries of a small log; entry 9 is a run's release, as a bank's bundle proves. */
function entryList(key: string): [EntryType, string, EntryFields][] {
  return [
    ['ledger.created', 'platform', { origin: DEFAULTS.ledgerOrigin, key }],
    ['org.applied', 'anyone', { org: 'org_bank01', kind: 'bank' }],
    ['org.admitted', 'org_regulator', { org: 'org_bank01' }],
    ['org.suspended', 'org_regulator', { org: 'org_fin01', reason: '材料不全，暂停复核 (documents incomplete)' }],
    ['access.requested', 'org_bank01', { access: 'acc_01', model: 'mdl_01', bank: 'org_bank01', purpose: 'credit-assessment' }],
    ['access.granted', 'org_fin01', { access: 'acc_01' }],
    ['bank.key.registered', 'org_bank01', { key: 'key_01', bank: 'org_bank01', digest: sha('a1') }],
    ['run.requested', 'org_bank01', { run: 'run_01', mode: 'encrypted', model: 'mdl_01', digest: sha('b2'), dataset: sha('c3'), policy: sha('d4'), request: sha('e5') }],
    ['run.executed', 'platform', { run: 'run_01', resources: { rows: 2, slots: 4 } }],
    [
      'run.released',
      'platform',
      {
        run: 'run_01',
        output: sha('f6'),
        inputs: { publicKey: sha('a1'), ciphertexts: [sha('07'), sha('18')] },
        decisions: [
          { rule: 'consent:valid', status: 'PASS', action: 'score-consented-only' },
          { rule: 'consent:daily-quota', status: 'PASS', action: 'one-evaluation-per-merchant-per-day' },
          { rule: 'consent:recheck', status: 'PASS', action: 'mask-revoked' },
        ],
        budget: 0,
      },
    ],
    ['heartbeat', 'platform', {}],
  ];
}

export interface LedgerVectors {
  checkpoint: Record<string, unknown>;
  note: string;
  inclusion: Record<string, unknown>;
}

/** Builds the checkpoint and inclusion vectors with ledger/ (deterministic). */
export function buildLedgerVectors(): LedgerVectors {
  const signer = testSigner();
  const key = vkey(signer.verifier);
  const start = Date.parse('2026-01-15T08:00:00.000Z');
  const entries: { entry: Record<string, unknown>; bytes: Buffer }[] = [];
  let prev = GENESIS_PREV;
  entryList(key).forEach(([type, actor, fields], i) => {
    // a fixed nonce per entry (the platform draws 128 random bits): the vectors are reproducible
    const e = makeEntry(type, actor, new Date(start + i * 1000).toISOString(), prev, fields, createHash('sha256').update(`dfix-vector-nonce-${i}`).digest().subarray(0, 16).toString('base64url'));
    entries.push(e);
    prev = leafHash(e.bytes).toString('hex');
  });
  const leaves = entries.map((e) => leafHash(e.bytes));
  const nodes = new MemoryNodes(leaves);
  const size = leaves.length;
  const root = subtreeRoot(nodes, 0, size);
  const body = checkpointBody({ origin: DEFAULTS.ledgerOrigin, size, root, extensions: [] });
  const note = signNote(body, signer);
  const sigLine = note.slice(body.length + 1, -1);
  const sigBytes = Buffer.from(sigLine.split(' ')[2] as string, 'base64');
  const index = 9;
  const proven = entries[index]!;
  // the entry as a client may hold it: the same JSON with its keys in another order
  const shuffled = Object.fromEntries(Object.entries(proven.entry).reverse());
  return {
    note,
    checkpoint: {
      comment: 'A C2SP signed note carrying a tlog-checkpoint body, signed with a TEST Ed25519 key whose seed is given: never trust this key for a real log.',
      keyName: signer.name,
      privateKeySeedHex: TEST_SEED.toString('hex'),
      publicKeyHex: signer.verifier.raw.toString('hex'),
      keyIdHex: signer.verifier.keyId.toString('hex'),
      keyIdInputHex: Buffer.concat([Buffer.from(signer.name, 'utf8'), Buffer.from([0x0a, 0x01]), signer.verifier.raw]).toString('hex'),
      verifierKey: key,
      note,
      body,
      signatureLine: sigLine,
      signatureBlobHex: sigBytes.toString('hex'),
      signatureHex: sigBytes.subarray(4).toString('hex'),
      parsed: { origin: DEFAULTS.ledgerOrigin, size, rootHashHex: root.toString('hex'), rootHashBase64: root.toString('base64'), extensions: [] },
    },
    inclusion: {
      comment: 'An RFC 6962 tree of the 11 entries below (leaf i = SHA-256(0x00 || entries[i]) with entries[i] the RFC 8785 canonical JSON in UTF-8); the root is the one checkpoint.json signs.',
      entries: entries.map((e) => e.bytes.toString('utf8')),
      leafHashes: leaves.map((l) => l.toString('hex')),
      size,
      rootHashHex: root.toString('hex'),
      index,
      entry: shuffled,
      entryCanonical: proven.bytes.toString('utf8'),
      leafHash: leaves[index]!.toString('hex'),
      inclusionProof: inclusionProof(nodes, index, size).map((h) => h.toString('hex')),
      bundle: { index, size, leafHash: leaves[index]!.toString('hex'), inclusionProof: inclusionProof(nodes, index, size).map((h) => h.toString('hex')), checkpoint: note },
      allProofs: leaves.map((_, i) => ({ index: i, inclusionProof: inclusionProof(nodes, i, size).map((h) => h.toString('hex')) })),
    },
  };
}

export const CKKS_VALUES = [12.5, -3.25, 0, 1234567.875];

/** The CKKS vector, written by `dfix bank keygen` and `dfix bank encrypt` (random: not rebuilt by the test). */
export async function writeCkksVector(dir = path.join(VECTORS, 'ckks')): Promise<void> {
  fs.rmSync(dir, { recursive: true, force: true });
  const io = capture();
  if ((await run(['bank', 'keygen', '--out', dir], io)) !== 0) throw new Error(io.stderr.join('\n'));
  fs.chmodSync(dir, 0o755); // a published test vector, not a bank's key directory
  fs.writeFileSync(path.join(dir, 'features.csv'), `bank_feature\n${CKKS_VALUES.join('\n')}\n`);
  if ((await run(['bank', 'encrypt', '--key', dir, '--features', path.join(dir, 'features.csv'), '--out', path.join(dir, 'ciphertexts.json')], io)) !== 0) throw new Error(io.stderr.join('\n'));
  const header = (file: string) => {
    const b = fs.readFileSync(path.join(dir, file));
    return sealHeader(b);
  };
  const ct = Buffer.from((JSON.parse(fs.readFileSync(path.join(dir, 'ciphertexts.json'), 'utf8')) as { ciphertexts: string[] }).ciphertexts[0] as string, 'base64');
  const expected = {
    comment: 'dfix bank keygen --out ckks; dfix bank encrypt --key ckks --features ckks/features.csv --out ckks/ciphertexts.json. TEST keys: the secret key is published.',
    slots: CKKS_VALUES.length,
    values: CKKS_VALUES,
    tolerance: 1e-6,
    headers: { 'public.key': header('public.key'), 'secret.key': header('secret.key'), 'ciphertexts[0]': sealHeader(ct) },
  };
  fs.writeFileSync(path.join(dir, 'expected.json'), `${JSON.stringify(expected, null, 2)}\n`);
}

/** SEAL's 16-byte serialisation header (SEAL 4.1 serialization.h, SEALHeader). */
export function sealHeader(b: Buffer) {
  return {
    magicHex: b.readUInt16LE(0).toString(16),
    headerSize: b[2],
    versionMajor: b[3],
    versionMinor: b[4],
    comprMode: b[5],
    reserved: b.readUInt16LE(6),
    size: Number(b.readBigUInt64LE(8)),
  };
}

export function writeLedgerVectors(): void {
  const v = buildLedgerVectors();
  fs.mkdirSync(VECTORS, { recursive: true });
  fs.writeFileSync(path.join(VECTORS, 'checkpoint.note'), v.note);
  fs.writeFileSync(path.join(VECTORS, 'checkpoint.json'), `${JSON.stringify(v.checkpoint, null, 2)}\n`);
  fs.writeFileSync(path.join(VECTORS, 'inclusion.json'), `${JSON.stringify(v.inclusion, null, 2)}\n`);
}

export async function writeParametersVector(): Promise<void> {
  const p = await encryptionParameters(loadPolicy().policy.encryption);
  fs.writeFileSync(path.join(VECTORS, 'encryption-parameters.json'), `${JSON.stringify(p, null, 2)}\n`);
}
