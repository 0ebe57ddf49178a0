// Encrypted joint scoring through the HTTP API, with the bank's helper.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BankKeys } from '../../encryption/bank.js';
import { readPackage } from '../../models/package.js';
import type { Platform } from '../../sandbox/platform.js';
import { httpWorld, type HttpWorld } from '../helpers/http.js';
import { REFERENCE, strangerUscc } from '../helpers/platform.js';

let w: HttpWorld;
let platform: Platform;
let bankKeys: BankKeys;
const keys: Record<string, string> = {};
const ids: Record<string, string> = {};
const WEIGHTS = [2.5, 0.001];

const call = (method: string, url: string, who: string, body?: unknown) => w.call(method, url, who, body);

beforeAll(async () => {
  w = await httpWorld('dfix-he-', 200);
  ({ platform } = w);
  Object.assign(keys, w.keys);
  Object.assign(ids, w.ids);
  const pkg = readPackage(REFERENCE);
  const manifest = { ...(pkg.manifestJson as object), bankFeatures: [{ name: 'bank_repayment_months', weight: WEIGHTS[0] }, { name: 'bank_deposit_avg', weight: WEIGHTS[1] }] };
  ids.model = (await call('POST', '/v1/models', 'fintech', { manifest, source: pkg.source })).json.id;
  await call('POST', `/v1/models/${ids.model}/approve`, 'regulator', {});
  const acc = await call('POST', `/v1/models/${ids.model}/access`, 'bank', { purpose: 'credit-assessment' });
  // a model with bank-held features: granting means accepting that a bank can solve for their weights
  expect((await call('POST', `/v1/access/${acc.json.id}/grant`, 'fintech')).json.code).toBe('ACCESS_TERMS_REQUIRED');
  expect((await call('POST', `/v1/access/${acc.json.id}/grant`, 'fintech', { acceptWeightExposure: true })).json.status).toBe('granted');
  bankKeys = await BankKeys.generate(platform.ctx.policy.policy.encryption);
});
afterAll(async () => {
  bankKeys.dispose();
  await w.close();
});

describe('encrypted runs over HTTP', () => {
  it('give the bank correct joint scores for consented merchants, and noise near zero elsewhere', async () => {
    const merchants = platform.ctx.vault.usccOf(Int32Array.from([3, 4, 5]));
    for (const m of merchants.slice(0, 2)) await call('POST', '/v1/consents', 'channel', { subject: m, bank: ids.bank, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });
    const subjects = [...merchants, strangerUscc(9)];
    const repayment = Float64Array.from([12, 30, 7, 1]);
    const deposits = Float64Array.from([52_000.5, 1_200, 900_000, 10]);
    const ciphertexts = bankKeys.encryptFeatures([repayment, deposits]).map((c) => Buffer.from(c).toString('base64'));
    const reg = await call('POST', '/v1/keys', 'bank', { publicKey: Buffer.from(bankKeys.publicKey()).toString('base64') });
    expect(reg.status).toBe(201);
    ids.key = reg.json.id;
    const r = await call('POST', '/v1/runs', 'bank', { mode: 'encrypted', modelId: ids.model, subjects, purpose: 'credit-assessment', publicKeyId: ids.key, ciphertexts });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'released', mode: 'encrypted', notScored: 2, slots: 4, scoredSlots: [true, true, false, false] });
    // the weights never appear in a reply (timestamps aside: "12:23:42.509Z" holds "2.5")
    const { requestedAt: _r, availableAt: _a, ...rest } = r.json;
    expect(JSON.stringify(rest)).not.toMatch(/2\.5|0\.001/);
    const joint = bankKeys.decrypt(Buffer.from(r.json.ciphertext, 'base64'), 4);
    // the government part, as the subjects mode gives it
    const plain = await call('POST', '/v1/runs', 'bank', { mode: 'subjects', modelId: ids.model, subjects: merchants.slice(0, 2), purpose: 'credit-assessment' });
    for (let i = 0; i < 2; i++) {
      const expected = plain.json.results[i].score + WEIGHTS[0]! * repayment[i]! + WEIGHTS[1]! * deposits[i]!;
      expect(Math.abs(joint[i]! - expected)).toBeLessThan(0.01);
    }
    // evaluated in the crypto process, not in this one
    expect(platform.ctx.crypto?.pid).toBeGreaterThan(0);
    expect(platform.ctx.crypto?.pid).not.toBe(process.pid);
    expect(Math.abs(joint[2]!)).toBeLessThan(1e-3);
    expect(Math.abs(joint[3]!)).toBeLessThan(1e-3);
    // the ledger has digests of the ciphertexts, never their bytes
    const text = [...platform.ctx.ledger.exportLines()].join('\n');
    expect(text).toMatch(/"mode":"encrypted"/);
    expect(text).not.toContain(ciphertexts[0]!.slice(0, 64));
    // the public card does not show the weights
    const card = await call('GET', `/v1/models/${ids.model}`, 'bank');
    expect(card.json.manifest.bankFeatures).toEqual([{ name: 'bank_repayment_months' }, { name: 'bank_deposit_avg' }]);
  });

  it('evaluates a merchant at most once per bank per day: a repeat is masked', async () => {
    const m = platform.ctx.vault.usccOf(Int32Array.from([3]))[0]!; // scored in the first test today
    const r = await call('POST', '/v1/runs', 'bank', { mode: 'encrypted', modelId: ids.model, subjects: [m], purpose: 'credit-assessment', publicKeyId: ids.key, ciphertexts: bankKeys.encryptFeatures([Float64Array.of(1), Float64Array.of(2)]).map((c) => Buffer.from(c).toString('base64')) });
    expect(r.json).toMatchObject({ status: 'released', notScored: 1 });
    expect(Math.abs(bankKeys.decrypt(Buffer.from(r.json.ciphertext, 'base64'), 1)[0]!)).toBeLessThan(1e-3);
  });

  it('evaluates one of four concurrent runs for the same merchant: the quota is reserved atomically', async () => {
    const m = platform.ctx.vault.usccOf(Int32Array.from([91]))[0]!;
    await call('POST', '/v1/consents', 'channel', { subject: m, bank: ids.bank, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });
    const body = () => ({ mode: 'encrypted', modelId: ids.model, subjects: [m], purpose: 'credit-assessment', publicKeyId: ids.key, ciphertexts: bankKeys.encryptFeatures([Float64Array.of(1), Float64Array.of(2)]).map((c) => Buffer.from(c).toString('base64')) });
    const answers = await Promise.all([1, 2, 3, 4].map(() => call('POST', '/v1/runs', 'bank', body())));
    expect(answers.map((a) => a.json.status)).toEqual(['released', 'released', 'released', 'released']);
    expect(answers.filter((a) => a.json.scoredSlots[0] === true)).toHaveLength(1);
  });

  it('replaces a crypto process that died; the next encrypted run works', async () => {
    const consentFor = platform.ctx.vault.usccOf(Int32Array.from([77]))[0]!;
    await call('POST', '/v1/consents', 'channel', { subject: consentFor, bank: ids.bank, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });
    const m = consentFor;
    const body = () => ({ mode: 'encrypted', modelId: ids.model, subjects: [m], purpose: 'credit-assessment', publicKeyId: ids.key, ciphertexts: bankKeys.encryptFeatures([Float64Array.of(1), Float64Array.of(2)]).map((c) => Buffer.from(c).toString('base64')) });
    const first = platform.ctx.crypto!.pid!;
    process.kill(first, 'SIGKILL');
    // the platform has seen it die (polled: no fixed wait to guess on a busy machine)
    await vi.waitFor(() => expect(platform.ctx.crypto!.pid).toBeUndefined(), { timeout: 30_000, interval: 20 });
    const r = await call('POST', '/v1/runs', 'bank', body());
    expect(r.json).toMatchObject({ status: 'released', notScored: 0 });
    expect(platform.ctx.crypto!.pid).not.toBe(first);
  });

  it('refuses tampered or mismatched ciphertexts with a 4xx before any run starts', async () => {
    const subjects = platform.ctx.vault.usccOf(Int32Array.from([3]));
    const cts = bankKeys.encryptFeatures([new Float64Array([1]), new Float64Array([2])]);
    const bad = Buffer.from(cts[0]!);
    bad[40] = bad[40]! ^ 0xff;
    const runs = () => platform.ctx.db.prepare('SELECT count(*) FROM runs').pluck().get();
    const before = runs();
    const publicKeyId = ids.key;
    for (const [ciphertexts, code] of [
      [[bad.toString('base64'), Buffer.from(cts[1]!).toString('base64')], 'ENCRYPTION_CIPHERTEXT_INVALID'],
      [[Buffer.from(cts[0]!).toString('base64')], 'ENCRYPTION_COUNT_MISMATCH'],
    ] as const) {
      const r = await call('POST', '/v1/runs', 'bank', { mode: 'encrypted', modelId: ids.model, subjects, purpose: 'credit-assessment', publicKeyId, ciphertexts });
      expect([r.status, r.json.code]).toEqual([400, code]);
    }
    const good = cts.map((c) => Buffer.from(c).toString('base64'));
    const unknown = await call('POST', '/v1/runs', 'bank', { mode: 'encrypted', modelId: ids.model, subjects, purpose: 'credit-assessment', publicKeyId: 'key_nope', ciphertexts: good });
    expect([unknown.status, unknown.json.code]).toEqual([404, 'ENCRYPTION_KEY_UNKNOWN']);
    const badKey = await call('POST', '/v1/keys', 'bank', { publicKey: 'AAAA' });
    expect([badKey.status, badKey.json.code]).toEqual([400, 'ENCRYPTION_KEY_INVALID']);
    expect((await call('POST', '/v1/keys', 'fintech', { publicKey: 'AAAA' })).status).toBe(403);
    expect(runs()).toBe(before);
  });
});
