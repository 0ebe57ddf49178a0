// XGBoost trees as code: each tree becomes one nested conditional expression with its
// float32 thresholds and leaf values inlined as exact literals, grouped into functions of
// a bounded size (V8 optimises functions only up to a bytecode size). Rows arrive as an
// array of float32-rounded features with NaN for missing, so a split needs no branch on
// missingness: `f < t` sends NaN right, `!(f >= t)` sends it left, and both equal
// `fround(x) < t` for any present value, exactly as XGBoost compares.
//
// Timing: a row costs one comparison per node on its path and one float32 addition per
// tree; no work is skipped or added for any value beyond the path the trees define.
import { formatError } from './errors.js';
import type { XgbIR, XgbTree } from './ir.js';

/** Tree nodes per generated function (well under V8's optimisation limit in bytecode). */
const NODES_PER_FUNCTION = 1500;

function bad(where: string): never {
  throw formatError('FORMAT_MALFORMED', { detail: `compile:${where}` });
}

/** One tree as an expression over `f` (features); `num` writes exact literals. */
function treeExpr(t: XgbTree, node: number, inputs: number, num: (n: number) => string, depth: number): string {
  if (depth > 64) bad('depth');
  const l = t.left[node];
  if (l === -1) return num(t.value[node] as number);
  const r = t.right[node];
  const fi = t.feature[node];
  if (!Number.isInteger(l) || !Number.isInteger(r) || !((l as number) > node) || !((r as number) > node)) bad('children');
  if (!Number.isInteger(fi) || (fi as number) < 0 || (fi as number) >= inputs) bad('feature');
  const thr = num(t.value[node] as number);
  const test = t.defaultLeft[node] ? `!(f[${fi}] >= ${thr})` : `f[${fi}] < ${thr}`;
  return `(${test} ? ${treeExpr(t, l as number, inputs, num, depth + 1)} : ${treeExpr(t, r as number, inputs, num, depth + 1)})`;
}

/**
 * The source of `margin(f)`: the float32 sum of the base margin and one leaf per tree, in
 * tree order, as xgb-eval.ts computes it; and `rawOutput(f)` for the objective.
 */
export function xgbScoringSource(m: XgbIR, inputs: number, num: (n: number) => string): string {
  const groups: string[][] = [];
  let current: string[] = [];
  let nodes = 0;
  for (const t of m.trees) {
    if (current.length > 0 && nodes + t.left.length > NODES_PER_FUNCTION) {
      groups.push(current);
      current = [];
      nodes = 0;
    }
    current.push(`  s = Math.fround(s + ${treeExpr(t, 0, inputs, num, 0)});`);
    nodes += t.left.length;
  }
  if (current.length > 0) groups.push(current);
  const fns = groups.map((g, i) => `function trees${i}(f, s) {\n${g.join('\n')}\n  return s;\n}\n`);
  const calls = groups.map((_, i) => `  s = trees${i}(f, s);`).join('\n');
  return [...fns, `function margin(f) {\n  let s = ${num(m.base)};\n${calls}\n  return s;\n}\n`, outputSource(m)].join('\n');
}

/** `objective(margin)` and `rawOutput(f)`, over the module's `margin(f)`. */
function outputSource(m: XgbIR): string {
  const out = m.objective === 'binary:logistic' ? 'return 1 / (1 + Math.exp(-m));' : 'return m;';
  return `function objective(m) {\n  ${out}\n}\n\nfunction rawOutput(f) {\n  return objective(margin(f));\n}\n`;
}

/**
 * `shapLinear` of runtime-source.ts (Linear TreeSHAP at the Gauss points) written out for
 * the model's number of points: the points, 1 - points and weights inlined, the loops over
 * them unrolled and the sums over them kept in locals. The same arithmetic, in the same
 * order, as a loop would do.
 */
export function linearShapSource(xs: readonly number[], ws: readonly number[], num: (n: number) => string): string {
  const n = xs.length;
  if (n < 1 || ws.length !== n) bad('gauss');
  const G = Array.from({ length: n }, (_, g) => g);
  const S = (g: number) => num(xs[g] as number);
  const U = (g: number) => num(1 - (xs[g] as number));
  const W = (g: number) => num(ws[g] as number);
  const each = (f: (g: number) => string) => G.map(f).join(' ');
  return `
function shapLinear(t, x, phi, st, node, d) {
  const P = st.P, H = st.H, b = d * ${n}, c = b + ${n};
  const l = t.left[node];
  if (l === -1) {
    const v = t.value[node];
    ${each((g) => `H[b + ${g}] = v;`)}
    return;
  }
  const f = t.feature[node], r = t.right[node], xv = x[f];
  const hot = (xv === xv ? xv < t.value[node] : t.defaultLeft[node] === 1) ? l : r;
  const cover = t.cover[node];
  const rep = st.on[f], z0 = st.z[f], o0 = st.o[f], a0 = o0 - z0;
  ${each((g) => `const p${g} = P[b + ${g}], qp${g} = z0 * ${U(g)} + o0 * ${S(g)};`)}
  ${each((g) => `let h${g} = 0;`)}
  let sum = 0;
  for (let side = 0; side < 2; side++) {
    const child = side === 0 ? l : r;
    const z = z0 * (t.cover[child] / cover);
    const o = o0 & (child === hot ? 1 : 0);
    ${each((g) => `const q${g} = z * ${U(g)} + o * ${S(g)};`)}
    if (rep === 1) { ${each((g) => `P[c + ${g}] = (p${g} * q${g}) / qp${g};`)} }
    else { ${each((g) => `P[c + ${g}] = p${g} * q${g};`)} }
    st.on[f] = 1; st.z[f] = z; st.o[f] = o;
    shapLinear(t, x, phi, st, child, d + 1);
    st.on[f] = rep; st.z[f] = z0; st.o[f] = o0;
    const a = o - z;
    if (rep === 1) {
${G.map((g) => `      const hc${g} = H[c + ${g}], e${g} = q${g} / qp${g};\n      h${g} += e${g} * hc${g};\n      sum += (${W(g)} * p${g} * hc${g} * (a - a0 * e${g})) / qp${g};`).join('\n')}
    } else {
${G.map((g) => `      const hc${g} = H[c + ${g}];\n      h${g} += q${g} * hc${g};\n      sum += ${W(g)} * p${g} * hc${g} * a;`).join('\n')}
    }
  }
  ${each((g) => `H[b + ${g}] = h${g};`)}
  phi[f] += sum;
}
`;
}

/** Rows the batch evaluator walks together: their walks are independent, so the CPU overlaps them. */
export const LANES = 8;

export interface BatchTables {
  /** Per node: the slot of a row's feature vector it reads (see xgbBatchSource). */
  slot: number[];
  /** Per node: the float32 threshold, or the leaf's value. */
  value: number[];
  /** Per node: its left child (the right one is next to it); a leaf is its own. */
  next: number[];
  /** Per tree: its root and its depth (the number of steps every row takes in it). */
  root: number[];
  depth: number[];
  /** Bits of a node's slot in its `meta` entry (next x 2^bits + slot): one load per step for both. */
  bits: number;
}

/**
 * The trees as tables for the batch evaluator: each tree's nodes breadth-first, so that a
 * node's children are adjacent, all trees one after the other.
 */
export function batchTables(m: XgbIR, inputs: number): BatchTables {
  const out: BatchTables = { slot: [], value: [], next: [], root: [], depth: [], bits: Math.max(1, Math.ceil(Math.log2(2 * inputs + 1))) };
  for (const t of m.trees) {
    const base = out.slot.length;
    const order: number[] = [0];
    const at = new Map<number, number>([[0, 0]]);
    const level = new Map<number, number>([[0, 0]]);
    let depth = 0;
    for (let q = 0; q < order.length; q++) {
      const node = order[q] as number;
      const l = t.left[node] as number;
      const d = level.get(node) as number;
      if (l === -1) {
        depth = Math.max(depth, d);
        continue;
      }
      const r = t.right[node] as number;
      if (!Number.isInteger(l) || !Number.isInteger(r) || !(l > node) || !(r > node) || at.has(l) || at.has(r)) bad('children');
      at.set(l, order.length);
      order.push(l);
      at.set(r, order.length);
      order.push(r);
      level.set(l, d + 1);
      level.set(r, d + 1);
    }
    if (depth > 64) bad('depth');
    for (let q = 0; q < order.length; q++) {
      const node = order[q] as number;
      const l = t.left[node] as number;
      out.value.push(t.value[node] as number);
      if (l === -1) {
        out.slot.push(2 * inputs);
        out.next.push(base + q);
        continue;
      }
      const f = t.feature[node] as number;
      if (!Number.isInteger(f) || f < 0 || f >= inputs) bad('feature');
      out.slot.push(t.defaultLeft[node] ? f : inputs + f);
      out.next.push(base + (at.get(l) as number));
    }
    out.root.push(base);
    out.depth.push(depth);
  }
  // next x 2^bits + slot stays a small integer (under 2^30) for every model within LIMITS
  if (out.next.length * 2 ** out.bits >= 2 ** 30) bad('size');
  return out;
}

/**
 * The batch form of the trees, in place of xgbScoringSource: `margins(x, names, n, out)`
 * writes the margins of rows [0, n) of the row-major buffer `x` (columns `names`) into
 * `out`, LANES rows at a time through every tree, with the same float32 comparisons and
 * sums, in the same order, as `margin(f)` of xgbScoringSource; `scoreBatch` turns them into
 * outputs; `margin(f)` walks one row the same way (for the module's `score`).
 *
 * A row becomes a vector of 2k + 1 slots: slot j holds feature j, or -Infinity when it is
 * missing; slot k + j holds it, or +Infinity; slot 2k is -Infinity. A node reading slot s
 * with threshold t goes right when `slot >= t`: a present value goes left exactly when
 * `f < t`; a missing one goes left at a default-left node (it reads slot j) and right at
 * the others (slot k + j); a leaf reads slot 2k, never goes right, and is its own left
 * child, so a row that reaches a leaf stays there. Every row therefore takes exactly the
 * tree's depth in steps, whatever its values, and a step has no branch: the rows of a
 * block walk in lockstep and the CPU overlaps their memory reads. A node's slot and left
 * child share one small integer (`meta`), so that a step makes three loads.
 *
 * The trusted runner calls `scoreBatch` for platform-compiled modules only
 * (workers/prelude.ts). A row's output depends on that row alone: every slot of a lane is
 * written before its row is walked, and the last block repeats the last row to fill it.
 */
export function xgbBatchSource(m: XgbIR, inputs: number, num: (n: number) => string): string {
  const t = batchTables(m, inputs);
  const lanes = Array.from({ length: LANES }, (_, r) => r);
  const each = (f: (r: number) => string, sep = ' ') => lanes.map(f).join(sep);
  const list = (a: number[]) => `[${a.map(num).join(',')}]`;
  const unit = 2 ** t.bits;
  const meta = t.next.map((n, i) => n * unit + (t.slot[i] as number));
  return `
const BATCH_META = ${list(meta)};
const BATCH_VALUE = ${list(t.value)};
const BATCH_ROOT = ${list(t.root)};
const BATCH_DEPTH = ${list(t.depth)};

function margins(x, names, n, out) {
  const k = INPUTS.length, w = 2 * k + 1, stride = names.length;
  const col = columnsOf(names);
  // read once: the hardened context's Math is a frozen copy, slower to read in a loop
  const fround = Math.fround;
  // unfrozen copies, each from its own literal: the engine keeps meta as small integers
  // and value as doubles (one copying function would give both one kind)
  const meta = [], value = [];
  for (let i = 0; i < BATCH_META.length; i++) {
    meta.push(BATCH_META[i]);
    value.push(BATCH_VALUE[i]);
  }
  const roots = [], depths = [];
  for (let i = 0; i < BATCH_ROOT.length; i++) {
    roots.push(BATCH_ROOT[i]);
    depths.push(BATCH_DEPTH[i]);
  }
  const f = [];
  for (let i = 0; i < ${LANES} * w; i++) f.push(-Infinity);
  // no prototype: with the shared prototypes frozen (SES), the engine takes a slow path
  // for every element store into an array that has them (measured: 8x a store)
  Object.setPrototypeOf(f, null);
  for (let o = 0; o < n; o += ${LANES}) {
    for (let r = 0; r < ${LANES}; r++) {
      const src = (o + r < n ? o + r : n - 1) * stride, dst = r * w;
      for (let j = 0; j < k; j++) {
        // as feature(v): a finite value rounded to float32, anything else missing
        const v = col[j] < 0 ? NaN : x[src + col[j]];
        const present = v - v === 0;
        const q = present ? fround(v) : 0;
        f[dst + j] = present ? q : -Infinity;
        f[dst + k + j] = present ? q : Infinity;
      }
    }
    ${each((r) => `let s${r} = ${num(m.base)};`)}
    for (let t = 0; t < roots.length; t++) {
      const root = roots[t];
      ${each((r) => `let n${r} = root;`)}
      for (let d = depths[t]; d > 0; d--) {
${each((r) => `        const m${r} = meta[n${r}];\n        n${r} = (m${r} >> ${t.bits}) + ((f[${r === 0 ? '' : `${r} * w + `}(m${r} & ${unit - 1})] >= value[n${r}]) | 0);`, '\n')}
      }
${each((r) => `      s${r} = fround(s${r} + value[n${r}]);`, '\n')}
    }
${each((r) => `    if (o + ${r} < n) out[o + ${r}] = s${r};`, '\n')}
  }
}

function margin(f) {
  // one row (f: readRow's features): the same walk, on the constant tables as they are
  const k = INPUTS.length, v = [];
  for (let j = 0; j < k; j++) v.push(f[j] === f[j] ? f[j] : -Infinity);
  for (let j = 0; j < k; j++) v.push(f[j] === f[j] ? f[j] : Infinity);
  v.push(-Infinity);
  let s = ${num(m.base)};
  for (let t = 0; t < BATCH_ROOT.length; t++) {
    let node = BATCH_ROOT[t];
    for (let d = BATCH_DEPTH[t]; d > 0; d--) {
      const mt = BATCH_META[node];
      node = (mt >> ${t.bits}) + ((v[mt & ${unit - 1}] >= BATCH_VALUE[node]) | 0);
    }
    s = Math.fround(s + BATCH_VALUE[node]);
  }
  return s;
}

export function scoreBatch(x, names, n, out) {
  margins(x, names, n, out);
  for (let i = 0; i < n; i++) out[i] = batchOutput(objective(out[i]));
}
${outputSource(m)}`;
}
