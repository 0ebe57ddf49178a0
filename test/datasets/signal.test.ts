// There is signal in the vault, and it is not trivial: a scorecard fitted on dummy data
// (which shares no merchant with the vault) reaches an AUC between 0.70 and 0.85 on it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dummyTable } from '../../datasets/dummy.js';
import { seedVault, Vault } from '../../datasets/store.js';
import { auc } from '../../policies/backtest.js';
import { fitLogistic, predict } from '../helpers/logistic.js';

const FEATURES = [
  'tax_credit_rating',
  'rent_late_months_12m',
  'enforcement_cases_active',
  'elec_late_payments_24m',
  'si_arrears_months_24m',
  'business_age_months',
  'tax_sales_growth_yoy',
  'late_filing_count_24m',
  'lawsuits_defendant_36m',
  'annual_report_filed',
  'zero_filing_months_12m',
];

describe('signal in the vault', () => {
  let dir: string;
  let vault: Vault;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfix-signal-'));
    seedVault(path.join(dir, 'vault.sqlite'), { subjects: 20_000, seed: 7 });
    vault = Vault.open(path.join(dir, 'vault.sqlite'));
  });
  afterAll(() => {
    vault.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a scorecard fitted on dummy data reaches an AUC between 0.70 and 0.85 on the vault', () => {
    const dummy = dummyTable(20_000, 7);
    const cols = FEATURES.map((f) => dummy.columns.indexOf(f));
    const y = dummy.rows.map((r) => r[dummy.columns.indexOf('default_12m')] as number);
    const x = dummy.rows.map((r) => cols.map((c) => (r[c] === null ? NaN : (r[c] as number))));
    const model = fitLogistic(x, y);

    const p = vault.project(FEATURES, null);
    const labels = vault.labels(null);
    const k = FEATURES.length;
    const scores = new Float64Array(vault.info.subjects);
    for (let i = 0; i < scores.length; i++) scores[i] = -predict(model, Array.from(p.data.subarray(i * k, i * k + k)));
    const a = auc(scores, labels);
    console.log(`AUC on the vault: ${a.toFixed(4)}`);
    expect(a).toBeGreaterThanOrEqual(0.7);
    expect(a).toBeLessThanOrEqual(0.85);
  });
});
