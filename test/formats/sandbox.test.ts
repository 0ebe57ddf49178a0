// Compiled format models through the platform's own vetting and sandbox (isolated-vm):
// the module passes vetting, and the isolate's scores and reasons are the ones plain Node
// gives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../datasets/catalog.js';
import { compileModule } from '../../formats/compile.js';
import type { FormatIR } from '../../formats/ir.js';
import { parsePmml } from '../../formats/pmml.js';
import type { Lattice, Scaling } from '../../formats/scaling.schema.js';
import { parseXgboostJson } from '../../formats/xgboost.js';
import { vetPackage } from '../../sandbox/vetting.js';
import { Executor } from '../../workers/client.js';
import { expected, fixtureBytes, load, rowObject } from './helpers.js';

interface Case {
  name: string;
  ir: FormatIR;
  scaling: Scaling;
  lattice: Lattice;
  map: Record<string, string>;
}

const cases = (): Case[] => [
  {
    name: 'xgb-logistic',
    ir: parseXgboostJson(fixtureBytes('xgb-logistic.model.json'), catalog()),
    scaling: { method: 'pdo', offset: 600, pdo: 50, odds: 'good:bad', predicts: 'bad' },
    lattice: { min: 300, max: 900, step: 10 },
    map: { business_age_months: 'R01_SHORT_HISTORY', tax_credit_rating: 'R05_LOW_TAX_CREDIT_RATING', late_filing_count_24m: 'R11_LATE_TAX_FILING', si_arrears_months_24m: 'R03_SOCIAL_INSURANCE_ARREARS' },
  },
  {
    name: 'scorecard.pmml',
    ir: parsePmml(fixtureBytes('scorecard.pmml'), catalog()),
    scaling: { method: 'identity' },
    lattice: { min: -20, max: 100, step: 1 },
    map: { RC1: 'R05_LOW_TAX_CREDIT_RATING', RC5: 'R12_LOW_RATING', RC2: 'R01_SHORT_HISTORY', RC3: 'R08_SALES_DECLINE', RC4: 'R06_ENFORCEMENT_CASES' },
  },
];

describe('compiled modules in the platform sandbox', () => {
  let executor: Executor;
  beforeAll(async () => {
    executor = await Executor.start();
  });
  afterAll(() => executor.close());

  it.each(cases().map((c) => [c.name, c] as const))('%s passes vetting and scores in the isolate as in plain Node', async (_, c) => {
    const source = compileModule(c.ir, c.scaling, c.lattice, c.map, 3);
    const reasons = [...new Set(Object.values(c.map))];
    const manifestJson = {
      name: 'format-model',
      version: '1.0.0',
      description: 'A compiled format model.',
      purpose: 'credit-assessment',
      inputs: c.ir.inputs,
      output: { score: c.lattice, reasons },
    };
    const report = await vetPackage({ manifestJson, source }, executor);
    expect(report.checks.filter((k) => k.status !== 'pass')).toEqual([]);
    expect(report.passed).toBe(true);

    const exp = expected('xgb-logistic');
    const fields = c.ir.inputs;
    const rows = exp.rows.map((r) => rowObject(exp.fields, r));
    const data = new Float64Array(rows.length * fields.length);
    rows.forEach((r, i) => fields.forEach((f, j) => (data[i * fields.length + j] = r[f] ?? (f === 'annual_report_filed' && i % 3 ? 1 : NaN))));
    const plainRows = rows.map((_, i) => Object.freeze(Object.fromEntries(fields.map((f, j) => [f, Number.isNaN(data[i * fields.length + j]) ? null : (data[i * fields.length + j] as number)]))));
    const out = await executor.execute({ mode: 'subjects', source, fields, reasons, data });
    const score = await load(source);
    plainRows.forEach((r, i) => {
      const want = score(r);
      expect(out.scores[i]).toBe(want.score);
      const got = [0, 1, 2, 3].map((t) => out.reasons[i * 4 + t] as number).filter((x) => x > 0).map((x) => reasons[x - 1]);
      expect(got).toEqual(want.reasons);
    });
  });
});
