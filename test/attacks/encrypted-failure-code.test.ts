// HELD (with a code-review note): an encrypted run whose model blows its memory on one
// merchant's exact row is released like any other, the row given the default output (the
// per-row failure is substituted inside the executor), and the run is closed.
// Note: runEncrypted, unlike runSubjects, has no catch for a SANDBOX_ error thrown by
// executor.execute() after begin(): if the whole task ever fails (the worker thread dies,
// the task backstop fires), the exact code escapes to the bank at once, before availableAt,
// and the run stays 'running' with its quota reserved. I could not make the executor
// throw from model code in the time available (per-row failures are substituted).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BankKeys } from '../../encryption/bank.js';
import { readPackage } from '../../models/package.js';
import { settleBackground } from '../../sandbox/run/pipeline.js';
import { httpWorld, type HttpWorld } from '../helpers/http.js';
import { REFERENCE } from '../helpers/platform.js';

let w: HttpWorld;
let bankKeys: BankKeys;
let model = '';
let keyId = '';
let target = '';
beforeAll(async () => {
  w = await httpWorld('dfix-atk-encfail-', 8100);
  const vault = w.platform.ctx.vault;
  const pkg = readPackage(REFERENCE);
  const inputs = (pkg.manifestJson as { inputs: string[] }).inputs;
  const row = vault.project(inputs, Int32Array.of(0)).data;
  const test = inputs.map((f, j) => [f, row[j] as number] as const).filter(([, v]) => Number.isFinite(v)).map(([f, v]) => `row.${f} === ${v}`).join(' && ');
  target = vault.subjectList().uscc[0] as string;
  const source = pkg.source.replace('export function score(row) {', 'function honest(row) {') +
    `\nexport function score(row) {\n  if (${test}) { const keep = []; for (;;) keep.push(new Array(1 << 20).fill(keep.length + 0.5)); }\n  return honest(row);\n}\n`;
  const manifest = { ...(pkg.manifestJson as object), bankFeatures: [{ name: 'bank_repayment_months', weight: 2.5 }, { name: 'bank_deposit_avg', weight: 0.001 }] };
  const sub = await w.call('POST', '/v1/models', 'fintech', { manifest, source });
  expect(sub.json.status, JSON.stringify(sub.json.report?.checks?.filter((c: { status: string }) => c.status !== 'pass'))).toBe('vetted');
  model = sub.json.id;
  expect((await w.call('POST', `/v1/models/${model}/approve`, 'regulator', {})).status).toBe(200);
  const acc = await w.call('POST', `/v1/models/${model}/access`, 'bank', { purpose: 'credit-assessment' });
  expect((await w.call('POST', `/v1/access/${acc.json.id}/grant`, 'fintech', { acceptWeightExposure: true })).status).toBe(200);
  expect((await w.call('POST', '/v1/consents', 'channel', { subject: target, bank: w.ids.bank, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00.000Z' })).status).toBe(201);
  bankKeys = await BankKeys.generate(w.platform.ctx.policy.policy.encryption);
  const reg = await w.call('POST', '/v1/keys', 'bank', { publicKey: Buffer.from(bankKeys.publicKey()).toString('base64') });
  keyId = reg.json.id;
});
afterAll(async () => {
  bankKeys?.dispose();
  await settleBackground(w.platform.ctx);
  await w.close();
});

describe('an encrypted run whose model fails on the merchant', () => {
  it('is released with the row substituted, and closed', async () => {
    const ciphertexts = bankKeys.encryptFeatures([Float64Array.of(12), Float64Array.of(1000)]).map((c) => Buffer.from(c).toString('base64'));
    const r = await w.call('POST', '/v1/runs', 'bank', { mode: 'encrypted', modelId: model, subjects: [target], purpose: 'credit-assessment', publicKeyId: keyId, ciphertexts });
    expect.soft([r.status, r.json.status, r.json.error?.code ?? r.json.code], JSON.stringify(r.json).slice(0, 300)).toEqual([200, 'released', undefined]);
    const runs = (await w.call('GET', '/v1/runs?mode=encrypted', 'regulator')).json.items as { status: string }[];
    expect(runs.map((x) => x.status)).toEqual(['released']);
  }, 60_000);
});
