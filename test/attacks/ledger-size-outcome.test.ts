// ATTACK (the model's author reads a bit of a merchant's data from a bank's run): the
// ledger's checkpoint (GET /v1/ledger/checkpoint: size and root) is open to every admitted
// organisation, and a run closes with a number of entries that depends on what the model
// did on the data: released (run.executed, [run.late], run.released) or failed
// (run.failed). The fintech, who wrote the model and never sees the bank's runs, watches
// the ledger size around a bank's subjects run and learns whether its model failed, i.e.
// whether the merchant's hidden value matched what the model tested for. (The checkpoint
// also moves when the run closes, before its availableAt: compute time shows too.)
// The model loops only on one merchant's exact row (every input equal), so its vetting on
// fresh dummy merchants passes and the regulator approves it. The policy here gives a
// normal run room (subjectsBaseMs 500) so that only the model's loop makes a run late.
// Secure behaviour: what any organisation other than the requester can observe of a run
// (ledger size, its timing) does not depend on the run's outcome or duration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPackage } from '../../models/package.js';
import { settleBackground } from '../../sandbox/run/pipeline.js';
import { httpWorld, type HttpWorld } from '../helpers/http.js';
import { policyWith, REFERENCE } from '../helpers/platform.js';

let w: HttpWorld;
let model = '';
const merchants: string[] = [];
beforeAll(async () => {
  // a public time with room for a normal run (500 ms); a call limit the loop runs into
  w = await httpWorld('dfix-atk-ledger-', 7900, { policy: policyWith((p) => Object.assign(p.timing, { subjectsBaseMs: 500, subjectCallMs: 1000 })) });
  const vault = w.platform.ctx.vault;
  const { uscc } = vault.subjectList();
  const pkg = readPackage(REFERENCE);
  const inputs = (pkg.manifestJson as { inputs: string[] }).inputs;
  // the target: merchant 0, recognised by the exact values of every input it has
  const row = vault.project(inputs, Int32Array.of(0)).data;
  const test = inputs.map((f, j) => [f, row[j] as number] as const).filter(([, v]) => Number.isFinite(v)).map(([f, v]) => `row.${f} === ${v}`).join(' && ');
  merchants.push(uscc[0] as string, uscc[1] as string, uscc[2] as string);
  const source = pkg.source.replace('export function score(row) {', 'function honest(row) {') + `\nexport function score(row) {\n  if (${test}) for (;;) {}\n  return honest(row);\n}\n`;
  const sub = await w.call('POST', '/v1/models', 'fintech', { manifest: pkg.manifestJson, source });
  expect(sub.json.status, JSON.stringify(sub.json)).toBe('vetted');
  model = sub.json.id;
  expect((await w.call('POST', `/v1/models/${model}/approve`, 'regulator', {})).status).toBe(200);
  const acc = await w.call('POST', `/v1/models/${model}/access`, 'bank', { purpose: 'credit-line' });
  expect((await w.call('POST', `/v1/access/${acc.json.id}/grant`, 'fintech', { acceptWeightExposure: true })).status).toBe(200);
  for (const m of merchants) expect((await w.call('POST', '/v1/consents', 'channel', { subject: m, bank: w.ids.bank, purpose: 'credit-line', expiresAt: '2099-01-01T00:00:00.000Z' })).status).toBe(201);
});
afterAll(async () => {
  await settleBackground(w.platform.ctx);
  await w.close();
});

const size = async () => (await w.call('GET', '/v1/ledger/checkpoint', 'fintech')).json.size as number;
async function observed(subject: string) {
  const before = await size();
  const r = await w.call('POST', '/v1/runs', 'bank', { mode: 'subjects', modelId: model, subjects: [subject], purpose: 'credit-line' });
  await new Promise((res) => setTimeout(res, 100));
  const after = await size();
  const types = ((await w.call('GET', `/v1/ledger/entries?start=${before}&end=${after}`, 'regulator')).json as unknown as { entry: { type: string } }[]).map((e) => e.entry.type);
  return { status: r.json.status as string, grew: after - before, types };
}

describe("the fintech watching the ledger during a bank's run", () => {
  it('sees the same growth whatever its model did on the merchant', async () => {
    await observed(merchants[2] as string); // warm-up: settles what the set-up left pending
    const other = await observed(merchants[1] as string);
    const target = await observed(merchants[0] as string);
    expect(target.grew, `bank saw ${target.status} / ${other.status}; fintech saw +${target.grew} / +${other.grew} (${target.types} / ${other.types})`).toBe(other.grew);
  }, 60_000);
});
