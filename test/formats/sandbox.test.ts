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
import { benchFields, syntheticXgboost } from '../../bench/formats.js';
import { MAX_MODEL_FILE_BYTES } from '../../core/limits.js';
import { dummyMatrix } from '../../datasets/dummy.js';
import { packageFromModelFile } from '../../models/init.js';
import { manifestSchema } from '../../models/manifest.schema.js';
import { runtimeModule } from '../../models/runtime.js';
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

  it.each(cases().map((c) => [c.name, c] as const))('%s: the aggregate lane scores it through scoreBatch with the row evaluator\'s scores', async (_, c) => {
    const fields = c.ir.inputs;
    const reasons = [...new Set(Object.values(c.map))];
    const exp = expected('xgb-logistic');
    const n = exp.rows.length + 1;
    const data = new Float64Array(n * fields.length).fill(NaN); // the last row: every field missing
    exp.rows.forEach((r, i) => fields.forEach((f, j) => (data[i * fields.length + j] = r[exp.fields.indexOf(f)] ?? NaN)));
    const rowSource = compileModule(c.ir, c.scaling, c.lattice, c.map, 0);
    const batchSource = compileModule(c.ir, c.scaling, c.lattice, c.map, 0, { batch: true });
    const viaRows = await executor.execute({ mode: 'cohort', source: rowSource, fields, reasons, data: data.slice() });
    const viaBatch = await executor.execute({ mode: 'cohort', source: batchSource, compiled: true, fields, reasons, data: data.slice() });
    expect(Array.from(viaBatch.scores)).toEqual(Array.from(viaRows.scores));
    expect(new Set(viaBatch.scores).size).toBeGreaterThan(2);
    expect(viaBatch.reasons.every((r) => r === 0)).toBe(true);
  });

  it.each(cases().map((c) => [c.name, c] as const))('%s: a bank\'s merchants scored together in the context kept for the model get what each gets alone', async (_, c) => {
    const fields = c.ir.inputs;
    const reasons = [...new Set(Object.values(c.map))];
    const exp = expected('xgb-logistic');
    const data = new Float64Array(exp.rows.length * fields.length);
    exp.rows.forEach((r, i) => fields.forEach((f, j) => (data[i * fields.length + j] = r[exp.fields.indexOf(f)] ?? NaN)));
    const source = compileModule(c.ir, c.scaling, c.lattice, c.map, 3);
    const alone = await executor.execute({ mode: 'subjects', source, fields, reasons, data: data.slice() });
    const together = await executor.execute({ mode: 'subjects', source, compiled: true, fields, reasons, data: data.slice() });
    expect(Array.from(together.scores)).toEqual(Array.from(alone.scores));
    expect(Array.from(together.reasons)).toEqual(Array.from(alone.reasons));
    expect(Array.from(together.failed)).toEqual(Array.from(alone.failed));
    expect(together.reasons.some((r) => r > 0)).toBe(true);
  });

  it('when scoring a task\'s merchants in the kept context fails, each is scored alone: only the failing merchant gets the default', async () => {
    const source = 'export function score(row) {\n  if (row.business_age_months === 7) return row.nothing.at;\n  return { score: 300 + 10 * row.business_age_months };\n}\n';
    const out = await executor.execute({ mode: 'subjects', source, compiled: true, fields: ['business_age_months'], reasons: [], data: new Float64Array([1, 7, 3]) });
    expect(Array.from(out.failed)).toEqual([0, 1, 0]);
    expect([out.scores[0], out.scores[2]]).toEqual([310, 330]);
  });

  it('runs a module exporting scoreBatch only when the platform compiled it: a package\'s JavaScript is refused', async () => {
    const source = 'export function score(row) {\n  return { score: 300 };\n}\nexport function scoreBatch(x, names, n, out) {\n  for (let i = 0; i < n; i++) out[i] = x[i];\n}\n';
    const data = new Float64Array([310, 320]);
    await expect(executor.execute({ mode: 'cohort', source, fields: ['business_age_months'], reasons: [], data })).rejects.toMatchObject({ code: 'SANDBOX_MODULE_INVALID' });
    await expect(executor.execute({ mode: 'subjects', source, fields: ['business_age_months'], reasons: [], data })).rejects.toMatchObject({ code: 'SANDBOX_MODULE_INVALID' });
    const manifestJson = { name: 'batchy', version: '1.0.0', description: 'Exports scoreBatch.', purpose: 'credit-assessment', inputs: ['business_age_months'], output: { score: { min: 300, max: 900, step: 10 }, reasons: [] } };
    const report = await vetPackage({ manifestJson, source }, executor);
    expect(report.passed).toBe(false);
    expect(report.checks.find((k) => k.id === 'source.purity')?.reason).toMatch(/R1 line 4/);
    // the flag is the platform's: a JavaScript package is never marked compiled
    expect(runtimeModule(manifestSchema.parse(manifestJson), source, catalog()).compiled).toBe(false);
  });

  it('a model file under the 4 MB limit whose compiled module would exceed its limit is refused at vetting, naming the limit', async () => {
    // 900 full depth-6 trees: 3.7 MB of JSON; with reasons, 6.4 MB (trees as code and as data)
    const one = JSON.parse(syntheticXgboost(benchFields(), dummyMatrix(benchFields(), 512, 2).data)) as { learner: { gradient_booster: { model: { trees: { split_conditions: number[] }[]; tree_info: number[] } } } };
    const m = one.learner.gradient_booster.model;
    m.trees = [0, 1, 2].flatMap((i) => m.trees.map((t) => ({ ...t, split_conditions: t.split_conditions.map((v) => Math.fround(v + i / 1000)) })));
    m.tree_info = m.trees.map(() => 0);
    const source = JSON.stringify(one);
    expect(source.length).toBeLessThan(MAX_MODEL_FILE_BYTES);
    const pkg = packageFromModelFile('big-xgb', source, 'xgboost-json', catalog());
    const report = await vetPackage({ manifestJson: pkg.manifest, source }, executor);
    expect(report.passed).toBe(false);
    expect(report.checks.filter((k) => k.status === 'fail')).toEqual([expect.objectContaining({ id: 'format.parse', reason: expect.stringMatching(/^FORMAT_LIMIT \(compiled>3145728\)/) })]);
  });
});
