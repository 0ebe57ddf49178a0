// ATTACK: models as data on the aggregate lane (formats/compile-xgb.ts xgbBatchSource,
// 8 rows walked in lockstep). A crafted XGBoost JSON whose trees are not trees (shared
// children, cycles, children before parents, indexes out of range, left == right, a split
// on a feature index out of range) or whose numbers are edge cases (NaN/Infinity spelled
// as JSON, strings, beyond float32) must be refused with one coded FORMAT_* error before
// anything is compiled. On a valid model, the batch evaluator (scoreBatch) and the row
// evaluator (score) must agree on every row for values vetting's dummy rows never hold
// (-0, subnormals, +-3.4e38, beyond float32, +-Infinity, NaN/missing) and thresholds at
// float32 edges, for every size of the last partial block of 8, and one row's value must
// never move another row's output (changing row 0 leaves rows 1.. unchanged).
// Secure behaviour: coded refusals; batch === row, row by row; no cross-row influence.
import { describe, expect, it } from 'vitest';
import { catalog } from '../../datasets/catalog.js';
import { compileModule } from '../../formats/compile.js';
import { parseXgboostJson } from '../../formats/xgboost.js';

const NAMES = ['business_age_months', 'paid_in_capital', 'employees_declared'];
const LATTICE = { min: 0, max: 1000000, step: 1 };
const SCALING = { method: 'identity' as const };

function tree(over: Record<string, unknown> = {}) {
  // root splits feature 0 at -0; left splits feature 1 at a subnormal, right feature 2 at 3.4e38 (float32 max)
  return {
    left_children: [1, 3, 5, -1, -1, -1, -1],
    right_children: [2, 4, 6, -1, -1, -1, -1],
    split_indices: [0, 1, 2, 0, 0, 0, 0],
    split_conditions: [-0, 1.401298464324817e-45, 3.4028234663852886e38, 1, 2, 4, 8],
    default_left: [1, 0, 1, 0, 0, 0, 0],
    sum_hessian: [7, 3, 4, 1, 2, 2, 2],
    base_weights: [0, 0, 0, 0, 0, 0, 0],
    ...over,
  };
}
function model(trees: unknown[], names = NAMES, base = '0E0', objective = 'reg:squarederror') {
  return JSON.stringify({ learner: { feature_names: names, gradient_booster: { name: 'gbtree', model: { trees, tree_info: trees.map(() => 0) } }, learner_model_param: { base_score: base }, objective: { name: objective } } });
}
function codeOf(f: () => unknown): string {
  try {
    f();
    return 'accepted';
  } catch (e) {
    return (e as { code?: string }).code ?? 'THREW';
  }
}

describe('XGBoost JSON whose trees are not trees', () => {
  const cases: [string, string][] = [
    ['shared child', model([tree({ left_children: [1, 3, 3, -1, -1, -1, -1] })])],
    ['cycle', model([tree({ left_children: [1, 0, 5, -1, -1, -1, -1] })])],
    ['child before parent', model([tree({ left_children: [1, 3, 1, -1, -1, -1, -1], right_children: [2, 4, 6, -1, -1, -1, -1] })])],
    ['left == right', model([tree({ left_children: [1, 3, 5, -1, -1, -1, -1], right_children: [1, 4, 6, -1, -1, -1, -1] })])],
    ['index out of range', model([tree({ right_children: [2, 4, 60, -1, -1, -1, -1] })])],
    ['huge index', model([tree({ right_children: [2, 4, 2 ** 53, -1, -1, -1, -1] })])],
    ['negative index', model([tree({ right_children: [2, 4, -5, -1, -1, -1, -1] })])],
    ['fractional index', model([tree({ right_children: [2, 4, 6.5, -1, -1, -1, -1] })])],
    ['feature out of range', model([tree({ split_indices: [0, 1, 3, 0, 0, 0, 0] })])],
    ['negative feature', model([tree({ split_indices: [0, -1, 2, 0, 0, 0, 0] })])],
    ['leaf with one child', model([tree({ right_children: [2, 4, 6, 5, -1, -1, -1] })])],
    ['unreachable node', model([tree({ left_children: [1, -1, 5, -1, -1, -1, -1], right_children: [2, -1, 6, -1, -1, -1, -1] })])],
    ['threshold beyond float32', model([tree({ split_conditions: [0, 0, 3.5e38, 1, 2, 4, 8] })])],
    ['threshold as string', model([tree({ split_conditions: [0, 'NaN', 0, 1, 2, 4, 8] })])],
    ['leaf beyond float32', model([tree({ split_conditions: [0, 0, 0, 1, 2, 4, -1e39] })])],
    ['NaN spelled', model([tree()]).replace('"split_conditions":[0', '"split_conditions":[NaN')],
    ['Infinity spelled', model([tree()]).replace('"split_conditions":[0', '"split_conditions":[Infinity')],
    ['1e999', model([tree()]).replace('"split_conditions":[0', '"split_conditions":[1e999')],
    ['base_score Infinity', model([tree()], NAMES, '[Infinity]')],
    ['base_score code', model([tree()], NAMES, '1};globalThis.x=1;//')],
    ['feature name code', model([tree()], ['business_age_months', 'paid_in_capital', 'x;globalThis.y=1'])],
    ['feature name constructor', model([tree()], ['business_age_months', 'paid_in_capital', 'constructor'])],
    ['objective code', model([tree()], NAMES, '0E0', "reg:squarederror';x")],
  ];
  for (const [name, text] of cases) {
    it(`${name}: one coded refusal`, () => {
      expect(codeOf(() => parseXgboostJson(text, catalog()))).toMatch(/^FORMAT_/);
    });
  }
});

type Mod = { score(row: Record<string, number | null>): { score: number | null }; scoreBatch(x: Float64Array, names: string[], n: number, out: Float64Array): void };
async function load(src: string): Promise<Mod> {
  return (await import(`data:text/javascript,${encodeURIComponent(src)}`)) as Mod;
}

describe('batch and row forms on edge values', () => {
  // leaves are powers of two per tree so the margin spells the path of every tree
  const trees = [tree(), tree({ split_indices: [2, 0, 1, 0, 0, 0, 0], default_left: [0, 1, 0, 0, 0, 0, 0], split_conditions: [3.4028234663852886e38, -0, -1.401298464324817e-45, 16, 32, 64, 128] }), tree({ split_indices: [1, 2, 0, 0, 0, 0, 0], split_conditions: [-3.4028234663852886e38, 1e-40, 0, 256, 512, 1024, 2048] })];
  const ir = parseXgboostJson(model(trees), catalog());
  const EDGE = [NaN, -0, 0, 5e-324, -5e-324, 1.401298464324817e-45, 7e-46, -7e-46, 1e-40, 3.4028234663852886e38, 3.4028235e38, 3.4028235677973366e38, 3.5e38, -3.5e38, 1.7976931348623157e308, Infinity, -Infinity, -3.4028234663852886e38, 1, -1];
  const rows: number[][] = [];
  for (const a of EDGE) for (const b of [EDGE[0], EDGE[3], EDGE[9], EDGE[12], EDGE[15], EDGE[16]] as number[]) rows.push([a, b, EDGE[(rows.length * 7) % EDGE.length] as number]);

  it('scoreBatch gives every row its score(row), for every last-block size, and row 0 moves no other row', async () => {
    const rowMod = await load(compileModule(ir, SCALING, LATTICE, {}, 0));
    const batchMod = await load(compileModule(ir, SCALING, LATTICE, {}, 0, { batch: true }));
    const want = rows.map((r) => rowMod.score(Object.fromEntries(NAMES.map((f, j) => [f, r[j] === r[j] ? (r[j] as number) : null]))).score ?? NaN);
    // the batch module's own score(row) (the table walk, one row) must agree too
    const wantB = rows.map((r) => batchMod.score(Object.fromEntries(NAMES.map((f, j) => [f, r[j] === r[j] ? (r[j] as number) : null]))).score ?? NaN);
    expect(wantB).toEqual(want);
    for (let n = 1; n <= 17; n++) {
      for (let start = 0; start + n <= rows.length; start += 13) {
        const x = new Float64Array(rows.slice(start, start + n).flat());
        const out = new Float64Array(n);
        batchMod.scoreBatch(x, NAMES, n, out);
        expect([...out]).toEqual(want.slice(start, start + n));
        // one merchant's secret (row 0) changed to every edge value: the others do not move
        for (const v of EDGE) {
          const y = x.slice();
          y[0] = v;
          y[1] = -v;
          const o2 = new Float64Array(n);
          batchMod.scoreBatch(y, NAMES, n, o2);
          expect([...o2.slice(1)]).toEqual([...out.slice(1)]);
        }
      }
    }
  });

  it('columns in another order, an extra column and a missing one read the same rows', async () => {
    const batchMod = await load(compileModule(ir, SCALING, LATTICE, {}, 0, { batch: true }));
    const n = rows.length;
    const a = new Float64Array(rows.flat());
    const out = new Float64Array(n);
    batchMod.scoreBatch(a, NAMES, n, out);
    const names2 = ['registered_capital', NAMES[2] as string, NAMES[0] as string, NAMES[1] as string];
    const b = new Float64Array(rows.flatMap((r) => [123456, r[2] as number, r[0] as number, r[1] as number]));
    const out2 = new Float64Array(n);
    batchMod.scoreBatch(b, names2, n, out2);
    expect([...out2]).toEqual([...out]);
  });
});
