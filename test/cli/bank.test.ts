// `dfix bank`: a bank's keys, encrypted features and decryption against a real in-process
// server, and the offline check of a run answer's ledger bundle.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import { ckks } from '../../encryption/seal.js';
import { readPackage } from '../../models/package.js';
import type { Platform } from '../../sandbox/platform.js';
import { httpWorld, type HttpWorld } from '../helpers/http.js';
import { capture } from '../helpers/cli.js';
import { REFERENCE, strangerUscc } from '../helpers/platform.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

let w: HttpWorld;
let work: string;
let platform: Platform;
let app: FastifyInstance;
const keys: Record<string, string> = {};
const ids: Record<string, string> = {};
const WEIGHTS = [2.5, 0.001];

const call = (method: string, url: string, who: string, body?: unknown) => w.call(method, url, who, body);

async function dfix(...argv: string[]) {
  const io = capture();
  const code = await run(argv, io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

const file = (name: string) => path.join(work, name);

beforeAll(async () => {
  w = await httpWorld('dfix-bank-', 300);
  ({ platform, app } = w);
  Object.assign(keys, w.keys);
  Object.assign(ids, w.ids);
  work = tmpDir('dfix-bank-work-');
  const pkg = readPackage(REFERENCE);
  const manifest = { ...(pkg.manifestJson as object), bankFeatures: [{ name: 'bank_repayment_months', weight: WEIGHTS[0] }, { name: 'bank_deposit_avg', weight: WEIGHTS[1] }] };
  ids.model = (await call('POST', '/v1/models', 'fintech', { manifest, source: pkg.source })).json.id;
  await call('POST', `/v1/models/${ids.model}/approve`, 'regulator', {});
  const acc = await call('POST', `/v1/models/${ids.model}/access`, 'bank', { purpose: 'credit-assessment' });
  expect((await call('POST', `/v1/access/${acc.json.id}/grant`, 'fintech', { acceptWeightExposure: true })).json.status).toBe('granted');
}, 120_000);
afterAll(async () => {
  await w.close();
  rmDir(work);
});

describe('GET /v1/encryption/parameters', () => {
  it('publishes the policy parameters, the layout, the serialisation and the scales, to any admitted organisation', async () => {
    const p = await call('GET', '/v1/encryption/parameters', 'fintech');
    expect(p.status).toBe(200);
    const policy = platform.ctx.policy.policy.encryption;
    expect(p.json).toMatchObject({
      scheme: 'ckks',
      polyModulusDegree: policy.polyModulusDegree,
      coeffModulusBits: policy.coeffModulusBits,
      scaleBits: policy.scaleBits,
      scale: 2 ** policy.scaleBits,
      securityLevel: 128,
      slots: policy.polyModulusDegree / 2,
      maxMerchantsPerRun: 4096,
      maxBankFeatures: 32,
      layout: { order: 'feature-major' },
      serialization: { library: 'Microsoft SEAL', sealVersion: '4.1', compression: 'zstd', encoding: 'base64' },
      input: { scale: 2 ** policy.scaleBits, size: 2 },
    });
    // SEAL's primes: of the bit sizes asked, each 1 mod 2N
    expect(p.json.coeffModulus).toHaveLength(policy.coeffModulusBits.length);
    p.json.coeffModulus.forEach((q: string, i: number) => {
      expect(BigInt(q).toString(2)).toHaveLength(policy.coeffModulusBits[i]!);
      expect(BigInt(q) % BigInt(2 * policy.polyModulusDegree)).toBe(1n);
    });
    expect(Math.abs(Math.log2(p.json.result.scale) - policy.scaleBits)).toBeLessThan(1e-3);
    expect((await app.inject({ method: 'GET', url: '/v1/encryption/parameters' })).statusCode).toBe(401);
    expect((await call('GET', '/v1/encryption/parameters', 'bank')).status).toBe(200);
    const api = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(api.statusCode).toBe(200);
    expect(JSON.parse(api.body).paths['/v1/encryption/parameters'].get.responses['200']).toBeDefined();
  });
});

// One bank's story, step by step: the keys made by keygen are the ones the run uses, and the
// answer it gets is the one verify-proof checks. Its order is declared (kept under --sequence.shuffle).
describe('dfix bank', { shuffle: false }, () => {
  let answer: Record<string, any>;
  const repayment = [12, 30, 7, 1];
  const deposits = [52_000.5, 1_200, 900_000, 10];

  it('keygen writes secret.key 0600, public.key and parameters.json, and refuses to overwrite a secret key', async () => {
    const k = await dfix('bank', 'keygen', '--out', file('keys'), '--json');
    expect(k.code).toBe(0);
    const out = JSON.parse(k.out);
    expect(fs.statSync(file('keys/secret.key')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(file('keys')).mode & 0o777).toBe(0o700);
    const pub = fs.readFileSync(file('keys/public.key'));
    expect(pub.subarray(0, 2).toString('hex')).toBe('5ea1'); // SEAL magic 0xA15E, little-endian
    expect(out.publicKeyBytes).toBe(pub.length);
    expect(JSON.parse(fs.readFileSync(file('keys/parameters.json'), 'utf8'))).toEqual(platform.ctx.policy.policy.encryption);
    const again = await dfix('bank', 'keygen', '--out', file('keys'));
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/^error BANK_KEYS_EXIST/);
  });

  it('keygen takes the server parameters answer as --params', async () => {
    fs.writeFileSync(file('params.json'), JSON.stringify((await call('GET', '/v1/encryption/parameters', 'bank')).json));
    expect((await dfix('bank', 'keygen', '--out', file('keys2'), '--params', file('params.json'))).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(file('keys2/parameters.json'), 'utf8'))).toEqual(platform.ctx.policy.policy.encryption);
  });

  it('keygen -> POST /v1/keys -> encrypt -> encrypted run -> decrypt gives the joint scores', async () => {
    const reg = await call('POST', '/v1/keys', 'bank', { publicKey: fs.readFileSync(file('keys/public.key')).toString('base64') });
    expect(reg.status).toBe(201);
    const merchants = platform.ctx.vault.usccOf(Int32Array.from([3, 4, 5]));
    for (const m of merchants.slice(0, 2)) await call('POST', '/v1/consents', 'channel', { subject: m, bank: ids.bank, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });
    const subjects = [...merchants, strangerUscc(19)];
    fs.writeFileSync(file('features.csv'), ['bank_repayment_months,bank_deposit_avg', ...repayment.map((r, i) => `${r},${deposits[i]}`)].join('\n') + '\n');
    const e = await dfix('bank', 'encrypt', '--key', file('keys'), '--features', file('features.csv'), '--out', file('body.json'), '--json');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.out)).toMatchObject({ features: 2, merchants: 4, names: ['bank_repayment_months', 'bank_deposit_avg'] });
    const { ciphertexts } = JSON.parse(fs.readFileSync(file('body.json'), 'utf8')) as { ciphertexts: string[] };
    expect(ciphertexts).toHaveLength(2);
    const r = await call('POST', '/v1/runs', 'bank', { mode: 'encrypted', modelId: ids.model, subjects, purpose: 'credit-assessment', publicKeyId: reg.json.id, ciphertexts });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'released', slots: 4, scoredSlots: [true, true, false, false] });
    answer = r.json;
    fs.writeFileSync(file('answer.json'), JSON.stringify(answer));
    // the result is where GET /v1/encryption/parameters says: its level, its scale, two components
    const published = (await call('GET', '/v1/encryption/parameters', 'bank')).json;
    const c = await ckks(platform.ctx.policy.policy.encryption);
    const ct = c.seal.CipherText();
    try {
      ct.loadArray(c.context, Buffer.from(answer.ciphertext, 'base64'));
      expect(ct.size).toBe(2);
      expect(Array.from(ct.parmsId.values as unknown as BigUint64Array, (x) => x.toString(16).padStart(16, '0'))).toEqual(published.result.parmsId);
      expect(ct.scale).toBe(published.result.scale);
    } finally {
      ct.delete();
    }

    const d = await dfix('bank', 'decrypt', '--key', file('keys'), '--in', file('answer.json'), '--json');
    expect(d.code).toBe(0);
    const joint = JSON.parse(d.out) as { slots: number; scores: number[]; scoredSlots: boolean[] };
    expect(joint.slots).toBe(4);
    expect(joint.scoredSlots).toEqual([true, true, false, false]);
    const plain = await call('POST', '/v1/runs', 'bank', { mode: 'subjects', modelId: ids.model, subjects: merchants.slice(0, 2), purpose: 'credit-assessment' });
    for (let i = 0; i < 2; i++) {
      const expected = plain.json.results[i].score + WEIGHTS[0]! * repayment[i]! + WEIGHTS[1]! * deposits[i]!;
      expect(Math.abs(joint.scores[i]! - expected)).toBeLessThan(0.01);
    }
    expect(Math.abs(joint.scores[2]!)).toBeLessThan(1e-3);
    // text output names the scored slots; a bare ciphertext needs --slots
    const text = await dfix('bank', 'decrypt', '--key', file('keys'), '--in', file('answer.json'));
    expect(text.out).toMatch(/2 of 4 slot\(s\) scored/);
    fs.writeFileSync(file('bare.b64'), answer.ciphertext);
    expect((await dfix('bank', 'decrypt', '--key', file('keys'), '--in', file('bare.b64'))).err).toMatch(/^error CLI_BAD_FLAG.*--slots/);
    const bare = await dfix('bank', 'decrypt', '--key', file('keys'), '--in', file('bare.b64'), '--slots', '2', '--json');
    expect(JSON.parse(bare.out).scores[0]).toBeCloseTo(joint.scores[0]!, 6);
    // another bank's keys cannot read it
    const wrong = await dfix('bank', 'decrypt', '--key', file('keys2'), '--in', file('answer.json'), '--json');
    expect(Math.abs(JSON.parse(wrong.out).scores[0] - joint.scores[0]!)).toBeGreaterThan(1);
  });

  it('verify-proof accepts the answer bundle under the log key, with the entry too', async () => {
    fs.writeFileSync(file('log.pub'), `${platform.ctx.ledger.publicKey}\n`);
    const v = await dfix('bank', 'verify-proof', '--answer', file('answer.json'), '--checkpoint-key', file('log.pub'), '--json');
    expect(v.code).toBe(0);
    expect(JSON.parse(v.out)).toMatchObject({ ok: true, index: answer.ledger.index, size: answer.ledger.size, trust: 'given', runId: answer.runId });
    const [line] = platform.ctx.ledger.entries(answer.ledger.index, answer.ledger.index + 1);
    expect(line!.entry).toMatchObject({ type: 'run.released', run: answer.runId });
    fs.writeFileSync(file('entry.json'), JSON.stringify(line));
    const withEntry = await dfix('bank', 'verify-proof', '--answer', file('answer.json'), '--checkpoint-key', file('log.pub'), '--entry', file('entry.json'));
    expect(withEntry.code).toBe(0);
    expect(withEntry.out).toMatch(/^ok: run .* the entry hashes to the leaf/);
    const other = platform.ctx.ledger.entries(answer.ledger.index - 1, answer.ledger.index)[0]!;
    fs.writeFileSync(file('other.json'), JSON.stringify(other.entry));
    const wrongEntry = await dfix('bank', 'verify-proof', '--answer', file('answer.json'), '--checkpoint-key', file('log.pub'), '--entry', file('other.json'));
    expect([wrongEntry.code, wrongEntry.out]).toEqual([1, expect.stringMatching(/^INVALID: the entry does not hash/)]);
  });

  it('verify-proof rejects a flipped leaf byte, a flipped path hash, a forged checkpoint and another key', async () => {
    const flip = (hex: string, at = 0) => hex.slice(0, at) + ((parseInt(hex[at]!, 16) ^ 1).toString(16)) + hex.slice(at + 1);
    const cases: [string, (a: Record<string, any>) => void, RegExp][] = [
      ['leaf', (a) => (a.ledger.leafHash = flip(a.ledger.leafHash, 10)), /inclusion proof .* does not lead/],
      ['path', (a) => (a.ledger.inclusionProof[0] = flip(a.ledger.inclusionProof[0], 63)), /inclusion proof .* does not lead/],
      ['index', (a) => (a.ledger.index = a.ledger.index === 0 ? 1 : a.ledger.index - 1), /inclusion proof|outside/],
      ['size', (a) => (a.ledger.size += 1), /is not the checkpoint's size/],
      ['checkpoint', (a) => (a.ledger.checkpoint = a.ledger.checkpoint.replace(/\n(\d+)\n/, (_: string, n: string) => `\n${Number(n) + 1}\n`)), /not validly signed/],
      ['shape', (a) => delete a.ledger.inclusionProof, /malformed/],
    ];
    expect(answer.ledger.inclusionProof.length).toBeGreaterThan(0);
    for (const [name, tamper, reason] of cases) {
      const a = structuredClone(answer);
      tamper(a);
      fs.writeFileSync(file(`tampered-${name}.json`), JSON.stringify(a));
      const v = await dfix('bank', 'verify-proof', '--answer', file(`tampered-${name}.json`), '--checkpoint-key', file('log.pub'));
      expect([name, v.code]).toEqual([name, 1]);
      expect(v.out).toMatch(/^INVALID: /);
      expect(v.out).toMatch(reason);
    }
    fs.writeFileSync(file('other.pub'), 'dfix-sandbox.local/ledger+00000000+AQ' + 'A'.repeat(42) + '=\n');
    const { parseVkey, verifierFromRaw, vkey } = await import('../../ledger/note.js');
    expect(parseVkey(fs.readFileSync(file('other.pub'), 'utf8'))).toBeNull();
    fs.writeFileSync(file('other.pub'), `${vkey(verifierFromRaw('dfix-sandbox.local/ledger', Buffer.alloc(32, 7)))}\n`);
    const v = await dfix('bank', 'verify-proof', '--answer', file('answer.json'), '--checkpoint-key', file('other.pub'));
    expect([v.code, v.out]).toEqual([1, expect.stringMatching(/^INVALID: the checkpoint is not validly signed/)]);
  });

  it('verify-proof without a key trusts the server key on first use, with a warning, and pins it', async () => {
    const store = file('store');
    const none = await dfix('bank', 'verify-proof', '--answer', file('answer.json'), '--store', store);
    expect([none.code, none.err]).toEqual([2, expect.stringMatching(/^error BANK_LEDGER_KEY_MISSING/)]);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    fs.writeFileSync(file('api.key'), keys.bank!);
    const first = await dfix('bank', 'verify-proof', '--answer', file('answer.json'), '--store', store, '--url', url, '--key-file', file('api.key'), '--json');
    expect(first.code).toBe(0);
    expect(first.err).toMatch(/^warning: trusting the log key the server names, on first use/);
    expect(JSON.parse(first.out)).toMatchObject({ ok: true, trust: 'first-use' });
    expect(fs.readFileSync(path.join(store, 'ledger.pub'), 'utf8').trim()).toBe(platform.ctx.ledger.publicKey.trim());
    const pinned = await dfix('bank', 'verify-proof', '--answer', file('answer.json'), '--store', store, '--json');
    expect([pinned.code, JSON.parse(pinned.out).trust, pinned.err]).toEqual([0, 'pinned', '']);
  });

  it('every bank command has its help (exit 0)', async () => {
    for (const p of ['bank', 'bank keygen', 'bank encrypt', 'bank decrypt', 'bank verify-proof']) {
      const h = await dfix(...p.split(' '), '--help');
      expect([p, h.code, h.err]).toEqual([p, 0, '']);
      expect(h.out).toMatch(new RegExp(`^usage: dfix ${p}(\\s|$)`));
    }
  });

  it('refuses malformed input with one coded line', async () => {
    fs.writeFileSync(file('bad.csv'), 'a,b\n1,2\n3,x\n');
    const csv = await dfix('bank', 'encrypt', '--key', file('keys'), '--features', file('bad.csv'));
    expect([csv.code, csv.err]).toEqual([2, expect.stringMatching(/^error BANK_FEATURES_INVALID: .*line 3, column 2/)]);
    fs.writeFileSync(file('ragged.csv'), '1,2\n3\n');
    expect((await dfix('bank', 'encrypt', '--key', file('keys'), '--features', file('ragged.csv'))).err).toMatch(/^error BANK_FEATURES_INVALID: .*line 2/);
    expect((await dfix('bank', 'encrypt', '--key', file('nokeys'), '--features', file('features.csv'))).err).toMatch(/^error BANK_KEYS_UNREADABLE/);
    fs.writeFileSync(file('junk.json'), '{"ciphertext":"AAAA","slots":1}');
    expect((await dfix('bank', 'decrypt', '--key', file('keys'), '--in', file('junk.json'))).err).toMatch(/^error BANK_ANSWER_INVALID/);
    expect((await dfix('bank', 'verify-proof', '--answer', file('features.csv'), '--checkpoint-key', file('log.pub'))).err).toMatch(/^error BANK_ANSWER_INVALID/);
    expect((await dfix('bank', 'nope')).err).toMatch(/^error CLI_UNKNOWN_COMMAND/);
    expect((await dfix('bank', 'keygen')).err).toMatch(/^error CLI_BAD_FLAG.*--out/);
  });
});
