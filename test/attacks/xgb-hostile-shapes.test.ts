// ATTACK: hostile but valid XGBoost JSON files against the table walk of the aggregate lane
// (formats/compile-xgb.ts xgbBatchSource: `meta = next * 2^bits + slot`, working arrays
// without a prototype) and the row forms. Random trees of odd shapes (single leaves, chains
// to the depth limit 16 down the left or the right, ragged trees, any topological node
// numbering, not only breadth-first), splits over every readable catalog field, thresholds
// and leaves at float32 edges (-0, subnormals, +-3.4e38, sums that overflow float32),
// covers that are zero or inconsistent (TreeSHAP's leaf-by-leaf and linear forms), rows
// with missing values, -0, subnormals, values beyond float32, thresholds and their float32
// neighbours. Also the largest `meta` a model within LIMITS can make.
// Secure behaviour: for every row, the XGBoost reference (xgb-eval.ts), the row module
// (trees as code), the batch module's score(row) and its scoreBatch (every block size,
// every place in the block, the row repeated) give the same bits; no row's value moves
// another row's output; reasons from TreeSHAP are the same in plain Node, in the hardened
// context (cohort lane, run()) and in fresh contexts (subjects, together and alone); a model
// within LIMITS never overflows `meta`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../datasets/catalog.js';
import { compileModule } from '../../formats/compile.js';
import { batchTables } from '../../formats/compile-xgb.js';
import type { FormatIR, XgbIR } from '../../formats/ir.js';
import { LIMITS } from '../../formats/limits.js';
import { contributions, reasonCodes, reasonPlan } from '../../formats/reasons.js';
import { shapWork } from '../../formats/treeshap.js';
import { evaluate } from '../../formats/evaluate.js';
import { parseXgboostJson } from '../../formats/xgboost.js';
import { scalingPlan, scoreSign } from '../../formats/scaling.js';
import { Executor } from '../../workers/client.js';
import { rng } from '../../bench/formats.js';

const f32 = Math.fround;
const FIELDS = catalog().filter((f) => f.modelReadable && f.type !== 'text').map((f) => f.name);

const T_EDGE = [-0, 0, 1.401298464324817e-45, -1.401298464324817e-45, 1.1754942106924411e-38, f32(1e-40), 3.4028234663852886e38, -3.4028234663852886e38, 0.5, 1, -1, 12, 36, 1e6, f32(0.1), f32(-2.5)];
const L_EDGE = [-0, 0, 1.401298464324817e-45, 3.4028234663852886e38, -3.4028234663852886e38, 1, -1, f32(0.3), 1024, f32(-7.75)];

type Shape = 'single' | 'chainL' | 'chainR' | 'full' | 'ragged';
interface N {
  kids: [N, N] | null;
}
function structure(r: () => number, shape: Shape, depth: number): N {
  const leaf = (): N => ({ kids: null });
  const build = (d: number): N => {
    switch (shape) {
      case 'single':
        return leaf();
      case 'chainL':
        return d >= depth ? leaf() : { kids: [build(d + 1), leaf()] };
      case 'chainR':
        return d >= depth ? leaf() : { kids: [leaf(), build(d + 1)] };
      case 'full':
        return d >= depth ? leaf() : { kids: [build(d + 1), build(d + 1)] };
      case 'ragged':
        return d >= depth || (d > 0 && r() < 0.3) ? leaf() : { kids: [build(d + 1), build(d + 1)] };
    }
  };
  return build(0);
}

/** A tree as XGBoost JSON with a random topological numbering (every child after its parent). */
function treeJson(r: () => number, root: N, nf: number, coverMode: number) {
  const ids = new Map<N, number>();
  const order: N[] = [];
  const frontier: N[] = [root];
  while (frontier.length) {
    const i = Math.floor(r() * frontier.length);
    const n = frontier.splice(i, 1)[0] as N;
    ids.set(n, order.length);
    order.push(n);
    if (n.kids) frontier.push(...n.kids);
  }
  const t = { left_children: [] as number[], right_children: [] as number[], split_indices: [] as number[], split_conditions: [] as number[], default_left: [] as number[], sum_hessian: [] as number[], base_weights: [] as number[] };
  for (const n of order) {
    const leaf = n.kids === null;
    t.left_children.push(leaf ? -1 : (ids.get(n.kids![0]) as number));
    t.right_children.push(leaf ? -1 : (ids.get(n.kids![1]) as number));
    t.split_indices.push(leaf ? 0 : Math.floor(r() * nf));
    const pick = r();
    t.split_conditions.push(leaf ? (pick < 0.4 ? (L_EDGE[Math.floor(r() * L_EDGE.length)] as number) : f32((r() - 0.5) * 4)) : pick < 0.5 ? (T_EDGE[Math.floor(r() * T_EDGE.length)] as number) : f32((r() - 0.3) * 100));
    t.default_left.push(r() < 0.5 ? 1 : 0);
    // 0: positive covers (linear TreeSHAP); 1: some zero (leaf-by-leaf); 2: arbitrary, inconsistent
    t.sum_hessian.push(coverMode === 0 ? 1 + Math.floor(r() * 50) : coverMode === 1 ? (r() < 0.3 ? 0 : 1 + Math.floor(r() * 9)) : r() * 1e3);
    t.base_weights.push(0);
  }
  return t;
}

function modelJson(trees: unknown[], names: string[], objective: string, base: string) {
  return JSON.stringify({ learner: { feature_names: names, gradient_booster: { name: 'gbtree', model: { trees, tree_info: trees.map(() => 0) } }, learner_model_param: { base_score: base }, objective: { name: objective } } });
}

function hostileModel(seed: number): { ir: FormatIR; names: string[] } {
  const r = rng(seed);
  const nf = seed % 3 === 0 ? FIELDS.length : 1 + Math.floor(r() * Math.min(12, FIELDS.length));
  const names = [...FIELDS].sort(() => r() - 0.5).slice(0, nf);
  const shapes: Shape[] = ['single', 'chainL', 'chainR', 'full', 'ragged'];
  const trees = [];
  const count = 1 + Math.floor(r() * 12);
  for (let k = 0; k < count; k++) {
    const shape = shapes[Math.floor(r() * shapes.length)] as Shape;
    const depth = shape === 'full' ? 1 + Math.floor(r() * 5) : shape === 'single' ? 0 : 1 + Math.floor(r() * LIMITS.depth);
    trees.push(treeJson(r, structure(r, shape, Math.min(depth, LIMITS.depth)), nf, seed % 3));
  }
  const objective = (['binary:logistic', 'binary:logitraw', 'reg:squarederror'] as const)[seed % 3] as string;
  const base = objective === 'binary:logistic' ? '[3E-1]' : seed % 2 ? '-0E0' : '1.5E0';
  return { ir: parseXgboostJson(modelJson(trees, names, objective, base), catalog()), names };
}

function rowsFor(ir: FormatIR, seed: number, n: number): number[][] {
  const r = rng(seed * 7 + 1);
  const m = ir.model as XgbIR;
  const thresholds: number[][] = ir.inputs.map(() => []);
  for (const t of m.trees) for (let i = 0; i < t.left.length; i++) if (t.left[i] !== -1) thresholds[t.feature[i] as number]?.push(t.value[i] as number);
  const V_EDGE = [NaN, -0, 0, 5e-324, -5e-324, 7e-46, -7e-46, 1.401298464324817e-45, 3.4028235e38, 3.4028235677973366e38, 3.5e38, -3.5e38, 1.7976931348623157e308, -1.7976931348623157e308, Infinity, -Infinity];
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    rows.push(
      ir.inputs.map((_, j) => {
        const p = r();
        const ts = thresholds[j] as number[];
        if (p < 0.25) return V_EDGE[Math.floor(r() * V_EDGE.length)] as number;
        if (p < 0.7 && ts.length) {
          const t = ts[Math.floor(r() * ts.length)] as number;
          // the threshold itself, just under and over it (as doubles: they round to t in float32 or not)
          const e = Math.abs(t) * 2 ** -25 || 1e-46;
          return [t, t - e, t + e, t - 3 * e, t + 3 * e][Math.floor(r() * 5)] as number;
        }
        return (r() - 0.5) * 200;
      }),
    );
  }
  return rows;
}

type Mod = { score(row: Record<string, number | null>): { score: number | null; reasons: string[] }; scoreBatch?(x: Float64Array, names: readonly string[], n: number, out: Float64Array): void };
async function load(src: string): Promise<Mod> {
  return (await import(`data:text/javascript,${encodeURIComponent(src)}`)) as Mod;
}
const rowObj = (names: readonly string[], r: readonly number[]) => Object.freeze(Object.fromEntries(names.map((f, j) => [f, r[j] === r[j] ? (r[j] as number) : null])));
const num = (v: number | null) => (v === null ? NaN : v);
const IDENTITY = { method: 'identity' as const };
const PDO = { method: 'pdo' as const, offset: 600, pdo: 50, odds: 'good:bad' as const, predicts: 'bad' as const };
const scalingOf = (ir: FormatIR) => (ir.output === 'value' ? IDENTITY : PDO);
const LATTICE = { min: -1e6, max: 1e6, step: 1 };
const CODES = ['R01_A', 'R02_B', 'R03_C', 'R04_D', 'R05_E'];
const mapOf = (names: readonly string[]) => Object.fromEntries(names.map((n, i) => [n, CODES[i % CODES.length] as string]));

const SEEDS = Array.from({ length: 24 }, (_, i) => 1000 + i);

describe('batch, row and reference forms on hostile shapes (plain Node)', () => {
  for (const seed of SEEDS) {
    it(`model ${seed}: same bits row by row, every block size, no row moves another`, async () => {
      const { ir } = hostileModel(seed);
      const rows = rowsFor(ir, seed, 61);
      const rowMod = await load(compileModule(ir, scalingOf(ir), LATTICE, {}, 0, { raw: true }));
      const batchMod = await load(compileModule(ir, scalingOf(ir), LATTICE, {}, 0, { raw: true, batch: true }));
      const want = rows.map((r) => num(evaluate(ir, rowObj(ir.inputs, r))));
      const gotRow = rows.map((r) => num(rowMod.score(rowObj(ir.inputs, r)).score));
      const gotBatchRow = rows.map((r) => num(batchMod.score(rowObj(ir.inputs, r)).score));
      for (let i = 0; i < rows.length; i++) {
        expect(Object.is(gotRow[i], want[i]), `row form, row ${i}: ${gotRow[i]} vs ${want[i]}`).toBe(true);
        expect(Object.is(gotBatchRow[i], want[i]), `batch score(row), row ${i}: ${gotBatchRow[i]} vs ${want[i]}`).toBe(true);
      }
      const k = ir.inputs.length;
      const batch = (rs: number[][]) => {
        const out = new Float64Array(rs.length).fill(12345);
        batchMod.scoreBatch!(new Float64Array(rs.flat()), ir.inputs, rs.length, out);
        return [...out];
      };
      for (let n = 1; n <= 19; n++) {
        for (let start = 0; start + n <= rows.length; start += 11) {
          const part = rows.slice(start, start + n);
          const out = batch(part);
          for (let i = 0; i < n; i++) expect(Object.is(out[i], want[start + i]), `block ${start}+${n}, row ${i}`).toBe(true);
          // the last row (which fills the last partial block) and the first row changed: others do not move
          for (const at of [0, n - 1]) {
            const other = rows[(start + 29) % rows.length] as number[];
            const changed = part.map((r, i) => (i === at ? other : r));
            const o2 = batch(changed);
            for (let i = 0; i < n; i++) if (i !== at) expect(Object.is(o2[i], out[i]), `row ${at} moved row ${i}`).toBe(true);
          }
        }
      }
      // one merchant repeated in a block: the same output in each place
      const rep = Array.from({ length: 13 }, () => rows[5] as number[]);
      for (const v of batch(rep)) expect(Object.is(v, want[5])).toBe(true);
      expect(k).toBeGreaterThan(0);
    });
  }
});

describe('TreeSHAP reasons on hostile shapes: reference, plain Node, hardened and fresh contexts', () => {
  let executor: Executor;
  beforeAll(async () => {
    executor = await Executor.start();
  }, 60_000);
  afterAll(() => executor.close());

  for (const seed of SEEDS.filter((s) => s % 2 === 0)) {
    it(`model ${seed}`, async () => {
      const { ir } = hostileModel(seed);
      const rows = rowsFor(ir, seed, 40);
      const map = mapOf(ir.inputs);
      const codes = reasonPlan(ir, map, 3).codes;
      const src = compileModule(ir, scalingOf(ir), LATTICE, map, 3, { raw: true });
      const batchSrc = compileModule(ir, scalingOf(ir), LATTICE, map, 0, { raw: true, batch: true });
      const mod = await load(src);
      const plain = rows.map((r) => mod.score(rowObj(ir.inputs, r)));
      const data = new Float64Array(rows.flat().map((v) => (Number.isFinite(v) || Number.isNaN(v) ? v : NaN)));
      // the isolates read what the vault holds: finite numbers or NaN
      const plainFinite = rows.map((r) => mod.score(rowObj(ir.inputs, r.map((v) => (Number.isFinite(v) ? v : NaN)))));
      const reasonsOf = (out: { reasons: Uint8Array }, i: number) => [0, 1, 2, 3].map((t) => out.reasons[i * 4 + t] as number).filter((x) => x > 0).map((x) => (x === 255 ? '?' : codes[x - 1]));
      const fields = ir.inputs;
      const fresh = await executor.execute({ mode: 'subjects', source: src, fields, reasons: codes, data, compiled: true });
      const alone = await executor.execute({ mode: 'subjects', source: src, fields, reasons: codes, data: data.slice(0, fields.length), compiled: true });
      const hardened = await executor.execute({ mode: 'cohort', source: src, fields, reasons: codes, data });
      const batch = await executor.execute({ mode: 'cohort', source: batchSrc, fields, reasons: codes, data, compiled: true });
      for (let i = 0; i < rows.length; i++) {
        const p = plainFinite[i]!;
        expect(Object.is(fresh.scores[i], num(p.score)), `fresh score row ${i}`).toBe(true);
        expect(Object.is(hardened.scores[i], num(p.score)), `hardened score row ${i}`).toBe(true);
        expect(Object.is(batch.scores[i], num(p.score)), `batch score row ${i}`).toBe(true);
        expect(reasonsOf(fresh, i), `fresh reasons row ${i}`).toEqual(p.reasons);
        expect(reasonsOf(hardened, i), `hardened reasons row ${i}`).toEqual(p.reasons);
      }
      expect(Object.is(alone.scores[0], num(plainFinite[0]!.score))).toBe(true);
      expect(reasonsOf(alone, 0)).toEqual(plainFinite[0]!.reasons);
      // and the reference TreeSHAP (exact, Algorithm 2) ranks the same codes, but for exact
      // ties in the reference that floating-point rounding of the quadrature breaks otherwise
      // (leaves of 3.4e38 give contributions of 1e37 whose sums tie exactly)
      const plan = reasonPlan(ir, map, 3);
      const sign = scoreSign(scalingPlan(ir.output, scalingOf(ir)));
      const work = shapWork(ir.model as XgbIR);
      const mismatch: string[] = [];
      rows.forEach((r, i) => {
        const row = rowObj(ir.inputs, r);
        const got = plain[i]!.reasons;
        const want = plain[i]!.score === null || Number.isNaN(plain[i]!.score) ? [] : reasonCodes(ir, row, plan, 3, sign, {}, work);
        if (JSON.stringify(want) === JSON.stringify(got)) return;
        const adverse = plan.codes.map(() => 0);
        (contributions(ir, row, {}, work) ?? []).forEach((v, j) => {
          const b = plan.byKey[j] as number;
          if (b >= 0) adverse[b] = (adverse[b] as number) - sign * v;
        });
        const a = (c: string | undefined) => adverse[plan.codes.indexOf(c as string)] ?? 0;
        const tie = want.length === got.length && want.every((c, t) => c === got[t] || Math.abs(a(c) - a(got[t])) <= 1e-12 * Math.abs(a(c)));
        if (!tie) mismatch.push(`row ${i}: ${JSON.stringify(want)} vs ${JSON.stringify(got)}`);
      });
      expect(mismatch).toEqual([]);
    }, 120_000);
  }
});

describe('meta = next * 2^bits + slot within LIMITS', () => {
  it('the widest model (every readable field) at the node limit fits below 2^30 and decodes every node', () => {
    const inputs = FIELDS.length;
    const bits = Math.max(1, Math.ceil(Math.log2(2 * inputs + 1)));
    expect(LIMITS.nodes * 2 ** bits).toBeLessThan(2 ** 30);
    // the node limit with every field (built as the IR: a file this size is over LIMITS.bytes
    // before it is over LIMITS.nodes, so this is beyond what a file can reach)
    const trees: XgbIR['trees'] = [];
    let nodes = 0;
    while (nodes + 8191 <= LIMITS.nodes) {
      const t: XgbIR['trees'][number] = { left: [], right: [], feature: [], value: [], defaultLeft: [], cover: [] };
      for (let i = 0; i < 8191; i++) {
        const leaf = i >= 4095;
        t.left.push(leaf ? -1 : 2 * i + 1);
        t.right.push(leaf ? -1 : 2 * i + 2);
        t.feature.push(leaf ? 0 : (i * 7 + trees.length) % inputs);
        t.value.push(i % 5);
        t.defaultLeft.push((i % 2) as 0 | 1);
        t.cover.push(1);
      }
      trees.push(t);
      nodes += 8191;
    }
    const ir = { model: { kind: 'xgb', objective: 'reg:squarederror', base: 0, trees } as XgbIR };
    const t = batchTables(ir.model as XgbIR, inputs);
    const unit = 2 ** t.bits;
    for (let i = 0; i < t.next.length; i++) {
      const m = (t.next[i] as number) * unit + (t.slot[i] as number);
      expect(m >> t.bits).toBe(t.next[i]);
      expect(m & (unit - 1)).toBe(t.slot[i]);
      expect(t.slot[i]).toBeLessThanOrEqual(2 * inputs);
    }
  }, 120_000);
});
