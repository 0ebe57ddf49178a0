// Compiled modules: they obey the platform's rules (checked with acorn), and run in plain
// Node they give what evaluate, the scaling and the reason codes give in TypeScript.
import { describe, expect, it } from 'vitest';
import { catalog } from '../../datasets/catalog.js';
import { compileModule, gaussLegendre01, numberSource } from '../../formats/compile.js';
import type { FormatIR, XgbIR, XgbTree } from '../../formats/ir.js';
import type { Lattice, Scaling } from '../../formats/scaling.schema.js';
import { shapWork, treeShap } from '../../formats/treeshap.js';
import { parseXgboostJson } from '../../formats/xgboost.js';
import { agree, expected, fixtureBytes, load, rowObject } from './helpers.js';
import { ruleViolations } from './rules.js';

const LATTICE: Lattice = { min: 300, max: 900, step: 10 };
const XGB_REASONS = {
  business_age_months: 'R01_SHORT_HISTORY',
  tax_credit_rating: 'R05_LOW_TAX_CREDIT_RATING',
  tax_sales_growth_yoy: 'R08_SALES_DECLINE',
  late_filing_count_24m: 'R11_LATE_TAX_FILING',
  elec_late_payments_24m: 'R10_UTILITY_PAID_LATE',
  si_arrears_months_24m: 'R03_SOCIAL_INSURANCE_ARREARS',
  rent_late_months_12m: 'R04_RENT_PAID_LATE',
  enforcement_cases_active: 'R06_ENFORCEMENT_CASES',
  lawsuits_defendant_36m: 'R07_LITIGATION',
  paid_in_capital: 'R12_CAPITAL',
  employees_declared: 'R12_CAPITAL',
};

const CASES: [string, Scaling, Lattice][] = [
  ['xgb-logistic', { method: 'pdo', offset: 600, pdo: 50, odds: 'good:bad', predicts: 'bad' }, LATTICE],
  ['xgb-logitraw', { method: 'pdo', offset: 650, pdo: 40, odds: 'good:bad', predicts: 'bad' }, LATTICE],
  ['xgb-regression', { method: 'identity' }, { min: -1, max: 2, step: 1 }],
  ['xgb-bench300', { method: 'pdo', offset: 600, pdo: 50, odds: 'good:bad', predicts: 'bad' }, LATTICE],
];

/** The named fields' codes; the other inputs share five further codes. */
const reasonsFor = (inputs: readonly string[]) =>
  Object.fromEntries(inputs.map((f, i) => [f, (XGB_REASONS as Record<string, string>)[f] ?? `R${20 + (i % 5)}_OTHER`]));

describe.each(CASES)('compiled %s', (name, scaling, lattice) => {
  const ir = parseXgboostJson(fixtureBytes(`${name}.model.json`), catalog());
  const exp = expected(name);
  const rows = exp.rows.map((r) => rowObject(exp.fields, r));
  const XGB_REASONS_OF = reasonsFor(ir.inputs);

  it('obeys the rules and gives what evaluate gives, score and reasons, on every fixture row', async () => {
    await agree(ir, scaling, lattice, XGB_REASONS_OF, 3, rows);
  });

  it('gives some adverse reasons, most adverse first', async () => {
    const score = await load(compileModule(ir, scaling, lattice, XGB_REASONS_OF, 3));
    const all = rows.map((r) => score(r));
    expect(all.some((r) => r.reasons.length === 3)).toBe(true);
    expect(all.every((r) => r.reasons.length <= 3)).toBe(true);
  });
});

describe.each(CASES)('the compiled module\'s TreeSHAP, %s', (name, scaling, lattice) => {
  it('matches XGBoost pred_contribs within 1e-5 on every fixture row', async () => {
    const ir = parseXgboostJson(fixtureBytes(`${name}.model.json`), catalog());
    const exp = expected(name);
    // the module's own contributions(), exported for this test only
    const src = compileModule(ir, scaling, lattice, {}, 3).replace('export function score', 'function score') + '\nexport function contribs(row) { return contributions(readRow(row)); }\n';
    const mod = (await import(`data:text/javascript,${encodeURIComponent(src)}`)) as { contribs: (r: unknown) => number[] };
    exp.rows.forEach((r, i) => {
      const phi = mod.contribs(rowObject(exp.fields, r));
      const want = exp.contribs[i] as number[];
      for (let j = 0; j < phi.length; j++) expect(Math.abs((phi[j] as number) - (want[j] as number)), `row ${i} col ${j}`).toBeLessThan(1e-5);
    });
  });
});

describe('the compiled module\'s two TreeSHAP forms', () => {
  it('a tree with a zero cover takes the leaf-by-leaf form, the others the linear one: both equal Algorithm 2', async () => {
    const ir = parseXgboostJson(fixtureBytes('xgb-logistic.model.json'), catalog());
    const m = ir.model as XgbIR;
    // a leaf no training row reached: its cover (and its share of its parent's) is 0
    const t = m.trees[0] as XgbTree;
    const leaf = t.left.findIndex((l) => l === -1);
    const parent = t.left.findIndex((l, i) => l === leaf || t.right[i] === leaf);
    t.cover[parent] = (t.cover[parent] as number) - (t.cover[leaf] as number);
    t.cover[leaf] = 0;
    const src = compileModule(ir, CASES[0]?.[1] as Scaling, LATTICE, {}, 3).replace('export function score', 'function score') + '\nexport function contribs(row) { return contributions(readRow(row)); }\n';
    expect(src).toContain('lin:0');
    expect(src).toContain('lin:1');
    const mod = (await import(`data:text/javascript,${encodeURIComponent(src)}`)) as { contribs: (r: unknown) => number[] };
    const exp = expected('xgb-logistic');
    const work = shapWork(m, true);
    exp.rows.forEach((r, i) => {
      const phi = mod.contribs(rowObject(exp.fields, r));
      const x = ir.inputs.map((f) => r[exp.fields.indexOf(f)] ?? null);
      const want = treeShap(m, x, work);
      for (let j = 0; j < phi.length; j++) expect(Math.abs((phi[j] as number) - (want[j] as number)), `row ${i} col ${j}`).toBeLessThan(1e-9);
    });
  });
});

describe('compiler hygiene', () => {
  it('Gauss-Legendre on [0, 1] with n points integrates s^k exactly for k < 2n', () => {
    for (let n = 1; n <= 9; n++) {
      const [xs, ws] = gaussLegendre01(n);
      for (let k = 0; k < 2 * n; k++) {
        const got = xs.reduce((a, x, i) => a + (ws[i] as number) * x ** k, 0);
        expect(Math.abs(got - 1 / (k + 1))).toBeLessThan(1e-14);
      }
    }
  });

  it('writes numbers that read back exactly', () => {
    for (const n of [0, -0, 1, -1.5, 0.1, 1 / 3, 5e-324, 1.7976931348623157e308, Math.fround(0.1), -123456789.123456789]) {
      expect(Object.is(Number(numberSource(n)), n)).toBe(true);
    }
    expect(() => numberSource(NaN)).toThrow();
    expect(() => numberSource(Infinity)).toThrow();
  });

  it('refuses to emit a string outside its vocabulary', () => {
    const ir = parseXgboostJson(fixtureBytes('xgb-logitraw.model.json'), catalog());
    const evil = { ...ir, model: { ...ir.model, objective: '"; globalThis.x = 1; "' } } as unknown as FormatIR;
    expect(() => compileModule(evil, CASES[1]?.[1] as Scaling, LATTICE, {}, 0)).toThrow(expect.objectContaining({ code: 'FORMAT_MALFORMED' }));
    const evil2 = { ...ir, inputs: ['a"+1+"'] } as FormatIR;
    expect(() => compileModule(evil2, CASES[1]?.[1] as Scaling, LATTICE, {}, 0)).toThrow(expect.objectContaining({ code: 'FORMAT_FIELD_UNKNOWN' }));
  });

  it('refuses reason codes that are not the manifest pattern, and unknown keys', () => {
    const ir = parseXgboostJson(fixtureBytes('xgb-logitraw.model.json'), catalog());
    const s = CASES[1]?.[1] as Scaling;
    expect(() => compileModule(ir, s, LATTICE, { business_age_months: 'bad code' }, 3)).toThrow(expect.objectContaining({ code: 'FORMAT_REASON_UNMAPPED' }));
    expect(() => compileModule(ir, s, LATTICE, { nope: 'R01_X' }, 3)).toThrow(expect.objectContaining({ code: 'FORMAT_REASON_UNMAPPED' }));
    expect(() => compileModule(ir, s, LATTICE, {}, 5)).toThrow(expect.objectContaining({ code: 'FORMAT_REASON_UNMAPPED' }));
  });

  it('the rule checker catches what it should', () => {
    expect(ruleViolations('let a = 1; export function score(row) { return a; }')).toContain('R2 top-level VariableDeclaration let');
    expect(ruleViolations('const A = f(); function f() { return 1; }')).toContain('R3 initialiser of A');
    expect(ruleViolations('const A = 1; function f() { A = 2; }')).toContain('R4 assignment to A');
    expect(ruleViolations('class C {}')).toEqual(expect.arrayContaining(['R2 top-level ClassDeclaration']));
    expect(ruleViolations('function f() { try { return 1; } catch { return 2; } }')).toContain('R6 try');
    expect(ruleViolations('function f() { return new Float64Array(2); }')).toContain('R7 free identifier Float64Array');
    expect(ruleViolations('var v = 1;')).toContain('R2 top-level VariableDeclaration var');
  });
});
