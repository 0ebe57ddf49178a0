// Properties over random XGBoost-shaped models (few features, so features repeat along
// paths): the three TreeSHAP implementations agree, their sum is the margin (Shapley
// efficiency), and compiled modules give what evaluate gives.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catalog } from '../../datasets/catalog.js';
import { compileModule } from '../../formats/compile.js';
import { evaluate } from '../../formats/evaluate.js';
import type { FormatIR, XgbIR, XgbTree } from '../../formats/ir.js';
import { shapWork, treeShap } from '../../formats/treeshap.js';
import { xgbMargin } from '../../formats/xgb-eval.js';
import { parseXgboostJson } from '../../formats/xgboost.js';
import { fixtureBytes, load } from './helpers.js';

const FIELDS = ['business_age_months', 'tax_credit_rating', 'late_filing_count_24m'];
const f32 = Math.fround;

/** A random tree: nodes in breadth order, each internal node's children after it. */
const treeArb = fc
  .record({
    depth: fc.integer({ min: 0, max: 6 }),
    seed: fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 6 }), fc.boolean(), fc.double({ min: -1, max: 1, noNaN: true }), fc.integer({ min: 1, max: 50 }), fc.boolean()), { minLength: 127, maxLength: 127 }),
  })
  .map(({ depth, seed }): XgbTree => {
    const t: XgbTree = { left: [], right: [], feature: [], value: [], defaultLeft: [], cover: [] };
    // breadth-first, so that children come after their parents (as XGBoost numbers nodes)
    const queue: [number, number][] = [];
    const grow = (d: number): number => {
      const i = t.left.length;
      const [f, thr, dl, leafValue, cover, stop] = seed[i % seed.length] as [number, number, boolean, number, number, boolean];
      const leaf = d >= depth || (stop && d > 0);
      t.left.push(-1);
      t.right.push(-1);
      t.feature.push(f);
      t.defaultLeft.push(dl ? 1 : 0);
      t.cover.push(cover);
      t.value.push(leaf ? f32(leafValue) : f32(thr + 0.5));
      if (!leaf) queue.push([i, d]);
      return i;
    };
    grow(0);
    while (queue.length) {
      const [i, d] = queue.shift() as [number, number];
      t.left[i] = grow(d + 1);
      t.right[i] = grow(d + 1);
    }
    // covers consistent: a parent's is the sum of its children's
    for (let i = t.left.length - 1; i >= 0; i--) if (t.left[i] !== -1) t.cover[i] = (t.cover[t.left[i] as number] as number) + (t.cover[t.right[i] as number] as number);
    return t;
  });

const rowArb = fc.array(fc.option(fc.integer({ min: 0, max: 7 }).map((v) => v + 0.25), { nil: null, freq: 4 }), { minLength: 3, maxLength: 3 });

describe('TreeSHAP properties', () => {
  it('leaf tables, Algorithm 2 and the compiled module agree, and add up to the margin', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(treeArb, { minLength: 1, maxLength: 4 }), fc.array(rowArb, { minLength: 1, maxLength: 5 }), fc.double({ min: -2, max: 2, noNaN: true }), async (trees, rows, base) => {
        const m: XgbIR = { kind: 'xgb', objective: 'binary:logitraw', base: f32(base), trees };
        const ir: FormatIR = { format: 'xgboost', inputs: FIELDS, output: 'margin', slots: 0, prelude: [], model: m, reasonKeys: [] };
        const src = compileModule(ir, { method: 'pdo', offset: 600, pdo: 50, odds: 'good:bad', predicts: 'bad' }, { min: 300, max: 900, step: 10 }, {}, 3).replace('export function score', 'function score') + '\nexport function contribs(row) { return contributions(readRow(row)); }\n';
        const mod = (await import(`data:text/javascript,${encodeURIComponent(src)}`)) as { contribs: (r: unknown) => number[] };
        const tables = shapWork(m);
        const alg2 = shapWork(m, true);
        for (const x of rows) {
          const a = treeShap(m, x, tables);
          const b = treeShap(m, x, alg2);
          const c = mod.contribs(Object.fromEntries(FIELDS.map((f, j) => [f, x[j]])));
          for (let j = 0; j < FIELDS.length; j++) {
            expect(Math.abs((a[j] as number) - (b[j] as number))).toBeLessThan(1e-9);
            expect(Math.abs((c[j] as number) - (b[j] as number))).toBeLessThan(1e-9);
          }
          const sum = Array.from(a).reduce((s, v) => s + v, 0);
          expect(Math.abs(sum - xgbMargin(m, x))).toBeLessThan(1e-5);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('XGBoost base_score as 3.x writes it', () => {
  it('"[3E-1]" reads as "3E-1"', () => {
    const text = fixtureBytes('xgb-logistic.model.json').toString('utf8');
    const a = parseXgboostJson(text, catalog());
    const b = parseXgboostJson(text.replace(/"base_score":"([^"]+)"/, '"base_score":"[$1]"'), catalog());
    expect((b.model as XgbIR).base).toBe((a.model as XgbIR).base);
    expect(evaluate(b, { business_age_months: 3 })).toBe(evaluate(a, { business_age_months: 3 }));
  });
});

describe('compiled modules on random rows', () => {
  it('give what evaluate gives for every PMML fixture', async () => {
    const { parsePmml } = await import('../../formats/pmml.js');
    for (const name of ['logistic.pmml', 'boosted.pmml']) {
      const ir = parsePmml(fixtureBytes(name), catalog());
      const raw = await load(compileModule(ir, { method: 'pdo', offset: 600, pdo: 50, odds: 'good:bad', predicts: 'bad' }, { min: 300, max: 900, step: 10 }, {}, 0, { raw: true }));
      fc.assert(
        fc.property(fc.array(fc.option(fc.double({ min: -100, max: 100, noNaN: true }), { nil: null }), { minLength: ir.inputs.length, maxLength: ir.inputs.length }), (vals) => {
          const row = Object.freeze(Object.fromEntries(ir.inputs.map((f, j) => [f, vals[j] ?? null])));
          expect(raw(row).score).toBe(evaluate(ir, row));
        }),
        { numRuns: 300 },
      );
    }
  });
});
