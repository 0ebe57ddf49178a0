// ATTACK: a subjects run's answer is "recorded now, answered at its public time, never
// earlier" — but its subject_results rows are written at finish(), when the model is done,
// and GET /v1/merchants/usage lists them at once. The merchant's channel (another tenant
// than the bank) therefore sees when the model finished on the merchant's data, before
// the run's public availableAt: the model's compute time on that merchant (a data-
// dependent busy loop) leaks to the channel; and a run that failed (a model-chosen
// SANDBOX_ limit on the merchant's data) never shows up at all.
// Secure behaviour: usage shows a fresh evaluation only from the run's availableAt on
// (and its appearance does not depend on the outcome).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPackage } from '../../models/package.js';
import { settleBackground } from '../../sandbox/run/pipeline.js';
import { httpWorld, type HttpWorld } from '../helpers/http.js';
import { policyWith, REFERENCE } from '../helpers/platform.js';

let w: HttpWorld;
let model = '';
let merchant = '';
beforeAll(async () => {
  w = await httpWorld('dfix-atk-usage-', 7500, { policy: policyWith((p) => void (p.timing.subjectsBaseMs = 3000)) });
  const pkg = readPackage(REFERENCE);
  model = (await w.call('POST', '/v1/models', 'fintech', { manifest: pkg.manifestJson, source: pkg.source })).json.id;
  expect((await w.call('POST', `/v1/models/${model}/approve`, 'regulator', {})).status).toBe(200);
  const acc = await w.call('POST', `/v1/models/${model}/access`, 'bank', { purpose: 'credit-line' });
  expect((await w.call('POST', `/v1/access/${acc.json.id}/grant`, 'fintech', { acceptWeightExposure: true })).status).toBe(200);
  merchant = w.platform.ctx.vault.subjectList().uscc[0] as string;
  expect((await w.call('POST', '/v1/consents', 'channel', { subject: merchant, bank: w.ids.bank, purpose: 'credit-line', expiresAt: '2099-01-01T00:00:00.000Z' })).status).toBe(201);
});
afterAll(async () => {
  await settleBackground(w.platform.ctx);
  await w.close();
});

describe("the channel's usage view during a bank's subjects run", () => {
  it('shows nothing before the run is available', async () => {
    const polls: { startedAt: number; saw: boolean }[] = [];
    let done = false;
    const run = w.call('POST', '/v1/runs', 'bank', { mode: 'subjects', modelId: model, subjects: [merchant], purpose: 'credit-line' }).finally(() => (done = true));
    while (!done) {
      const startedAt = Date.now();
      const u = await w.call('GET', `/v1/merchants/usage?subject=${merchant}`, 'channel');
      polls.push({ startedAt, saw: u.json.items.length > 0 });
      await new Promise((r) => setTimeout(r, 25));
    }
    const answer = (await run).json;
    expect(answer.status).toBe('released');
    // once the run is answered, the channel sees the evaluation (so the polls could see it)
    expect((await w.call('GET', `/v1/merchants/usage?subject=${merchant}`, 'channel')).json.items.length).toBeGreaterThan(0);
    // secure: no poll that began before availableAt (less scheduling slack) saw it
    const availableAt = Date.parse(answer.availableAt);
    const early = polls.filter((p) => p.saw && p.startedAt < availableAt - 100);
    expect(polls.length).toBeGreaterThan(10);
    expect(early.map((p) => availableAt - p.startedAt), 'ms before availableAt').toEqual([]);
  }, 60_000);
});
