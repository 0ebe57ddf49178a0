// Models as data through the whole platform: a PMML scorecard and an XGBoost model are
// submitted, vetted (their structure shown to the regulator), approved, backtested, and
// scored for a bank with reason codes, over HTTP; `dfix model try --rows --raw` prints
// the raw output beside the score, equal to XGBoost's own predictions.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readPackage } from '../../models/package.js';
import type { Platform } from '../../sandbox/platform.js';
import { tryPackage } from '../../sandbox/try.js';
import type { Executor } from '../../workers/client.js';
import { httpWorld, type HttpWorld } from '../helpers/http.js';

let w: HttpWorld;
let platform: Platform;
let executor: Executor;
const ids: Record<string, string> = {};
const call = (method: string, url: string, who: string | null, body?: unknown) => w.call(method, url, who, body);

beforeAll(async () => {
  w = await httpWorld('dfix-formats-', 400);
  ({ platform, executor } = w);
  Object.assign(ids, w.ids);
});
afterAll(() => w.close());

describe.each([
  ['an XGBoost model', 'models/examples/xgboost-credit', 'xgb'],
  ['a PMML scorecard', 'models/examples/pmml-scorecard', 'scorecard'],
])('%s, over HTTP', (_, example, kind) => {
  it('is vetted with its structure, approved, backtested, and scores consented merchants with reason codes', async () => {
    const pkg = readPackage(path.resolve(example));
    const sub = await call('POST', '/v1/models', 'fintech', { manifest: pkg.manifestJson, source: pkg.source });
    expect(sub.json.status, JSON.stringify(sub.json.report.checks.filter((c: { status: string }) => c.status !== 'pass'))).toBe('vetted');
    const model = sub.json.id as string;
    // the regulator reads the model as a table, not code
    const review = await call('GET', `/v1/models/${model}`, 'regulator');
    expect(review.json.report.structure).toMatchObject({ kind, inputs: expect.arrayContaining([expect.objectContaining({ level: expect.stringMatching(/^S[1-3]$/) })]) });
    await call('POST', `/v1/models/${model}/approve`, 'regulator', {});
    // a backtest
    const posted = await call('POST', '/v1/runs', 'fintech', { mode: 'aggregate', modelId: model, cohort: {}, statistics: ['backtest', 'count'] });
    expect(posted.status).toBe(202);
    // polled until the answer is there (from its availability time on; a busy machine may take longer)
    const answer = await vi.waitFor(
      async () => {
        const r = await call('GET', `/v1/runs/${posted.json.runId}`, 'fintech');
        expect(r.status).not.toBe(202);
        return r;
      },
      { timeout: 60_000, interval: 100 },
    );
    expect(answer.json.status).toBe('released');
    expect(answer.json.result.count).toBe(1600);
    expect(answer.json.result.backtest.auc).toBeGreaterThan(0.5);
    // a bank's per-merchant run with reason codes
    const acc = await call('POST', `/v1/models/${model}/access`, 'bank', { purpose: 'credit-assessment' });
    await call('POST', `/v1/access/${acc.json.id}/grant`, 'fintech');
    const merchants = platform.ctx.vault.usccOf(Int32Array.from({ length: 20 }, (_, i) => i * 37));
    for (const m of merchants) await call('POST', '/v1/consents', 'channel', { subject: m, bank: ids.bank, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });
    const scored = await call('POST', '/v1/runs', 'bank', { mode: 'subjects', modelId: model, subjects: merchants, purpose: 'credit-assessment' });
    expect(scored.json.status).toBe('released');
    expect(scored.json.results).toHaveLength(20);
    const declared = (pkg.manifestJson as { output: { reasons: string[] } }).output.reasons;
    const withReasons = scored.json.results.filter((r: { reasons: string[] }) => r.reasons.length > 0);
    expect(withReasons.length).toBeGreaterThan(0);
    for (const r of scored.json.results as { score: number; reasons: string[] }[]) {
      const { min, step } = (pkg.manifestJson as { output: { score: { min: number; step: number } } }).output.score;
      expect((r.score - min) % step).toBe(0);
      for (const c of r.reasons) expect(declared).toContain(c);
      expect(r.reasons.length).toBeLessThanOrEqual(3);
    }
  });
});

describe('model try --raw', () => {
  it("prints XGBoost's own probability for every fixture row, missing values included", async () => {
    const expected = JSON.parse(readFileSync('test/fixtures/formats/xgb-logistic.expected.json', 'utf8')) as { fields: string[]; rows: (number | null)[][]; prediction: number[] };
    const csv = [expected.fields.join(','), ...expected.rows.map((r) => r.map((v) => (v === null ? '' : String(v))).join(','))].join('\n');
    const r = await tryPackage(readPackage(path.resolve('models/examples/xgboost-credit')), executor, { csv }, 'cohort', { raw: true });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    let worst = 0;
    r.outputs.forEach((o, i) => (worst = Math.max(worst, Math.abs((o.raw as number) - (expected.prediction[i] as number)))));
    expect(worst).toBeLessThan(1e-6);
    expect(expected.rows.some((row) => row.includes(null))).toBe(true);
  });

  it('refuses rows that are not a CSV of the model’s inputs, naming what is wrong', async () => {
    const pkg = readPackage(path.resolve('models/examples/xgboost-credit'));
    await expect(tryPackage(pkg, executor, { csv: 'nope\n1' }, 'cohort')).rejects.toMatchObject({ code: 'MODEL_ROWS_INVALID' });
  });
});
