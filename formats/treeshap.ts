// Exact TreeSHAP for XGBoost trees: Lundberg, Erion, Lee (2018), "Consistent Individualized
// Feature Attribution for Tree Ensembles", Algorithm 2, with node covers (sum_hessian) as
// the weights, as XGBoost's pred_contribs computes it (src/predictor/cpu_treeshap.cc).
// The compiled module carries the same algorithm as source (runtime-source.ts).
import type { XgbIR, XgbTree } from './ir.js';
import { leafShapTree, leafTables, type LeafTables } from './treeshap-leaf.js';

const f32 = Math.fround;

/** The mean leaf value under each node, weighted by cover (XGBoost FillNodeMeanValues). */
export function nodeMeans(t: XgbTree): number[] {
  const mean = new Array<number>(t.left.length).fill(0);
  for (let i = t.left.length - 1; i >= 0; i--) {
    const l = t.left[i] as number;
    if (l === -1) mean[i] = t.value[i] as number;
    else {
      const r = t.right[i] as number;
      mean[i] = ((mean[l] as number) * (t.cover[l] as number) + (mean[r] as number) * (t.cover[r] as number)) / (t.cover[i] as number);
    }
  }
  return mean;
}

/** The child a row goes to at internal node `i` (missing: the default direction). */
export function nextNode(t: XgbTree, i: number, x: number | null): number {
  if (x === null) return t.defaultLeft[i] ? (t.left[i] as number) : (t.right[i] as number);
  return f32(x) < (t.value[i] as number) ? (t.left[i] as number) : (t.right[i] as number);
}

interface Path {
  feat: Int32Array;
  zero: Float64Array;
  one: Float64Array;
  w: Float64Array;
}

function extend(p: Path, o: number, d: number, zero: number, one: number, feat: number): void {
  p.feat[o + d] = feat;
  p.zero[o + d] = zero;
  p.one[o + d] = one;
  p.w[o + d] = d === 0 ? 1 : 0;
  for (let i = d - 1; i >= 0; i--) {
    p.w[o + i + 1] = (p.w[o + i + 1] as number) + (one * (p.w[o + i] as number) * (i + 1)) / (d + 1);
    p.w[o + i] = (zero * (p.w[o + i] as number) * (d - i)) / (d + 1);
  }
}

function unwind(p: Path, o: number, d: number, k: number): void {
  const one = p.one[o + k] as number;
  const zero = p.zero[o + k] as number;
  let next = p.w[o + d] as number;
  for (let i = d - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = p.w[o + i] as number;
      p.w[o + i] = (next * (d + 1)) / ((i + 1) * one);
      next = tmp - ((p.w[o + i] as number) * zero * (d - i)) / (d + 1);
    } else p.w[o + i] = ((p.w[o + i] as number) * (d + 1)) / (zero * (d - i));
  }
  for (let i = k; i < d; i++) {
    p.feat[o + i] = p.feat[o + i + 1] as number;
    p.zero[o + i] = p.zero[o + i + 1] as number;
    p.one[o + i] = p.one[o + i + 1] as number;
  }
}

function unwoundSum(p: Path, o: number, d: number, k: number): number {
  const one = p.one[o + k] as number;
  const zero = p.zero[o + k] as number;
  let next = p.w[o + d] as number;
  let total = 0;
  for (let i = d - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = (next * (d + 1)) / ((i + 1) * one);
      total += tmp;
      next = (p.w[o + i] as number) - (tmp * zero * (d - i)) / (d + 1);
    } else if (zero !== 0) total += (p.w[o + i] as number) / zero / ((d - i) / (d + 1));
  }
  return total;
}

function recurse(t: XgbTree, x: readonly (number | null)[], phi: Float64Array, p: Path, node: number, d: number, po: number, pz: number, pone: number, pfeat: number): void {
  // the path of this node starts after the parent's (Algorithm 2 copies it down)
  const o = po + d;
  if (d > 0) {
    for (let i = 0; i < d; i++) {
      p.feat[o + i] = p.feat[po + i] as number;
      p.zero[o + i] = p.zero[po + i] as number;
      p.one[o + i] = p.one[po + i] as number;
      p.w[o + i] = p.w[po + i] as number;
    }
  }
  extend(p, o, d, pz, pone, pfeat);
  const l = t.left[node] as number;
  if (l === -1) {
    const v = t.value[node] as number;
    for (let i = 1; i <= d; i++) {
      const w = unwoundSum(p, o, d, i);
      const f = p.feat[o + i] as number;
      phi[f] = (phi[f] as number) + w * ((p.one[o + i] as number) - (p.zero[o + i] as number)) * v;
    }
    return;
  }
  const f = t.feature[node] as number;
  const hot = nextNode(t, node, x[f] ?? null);
  const cold = hot === l ? (t.right[node] as number) : l;
  const c = t.cover[node] as number;
  const hotZero = (t.cover[hot] as number) / c;
  const coldZero = (t.cover[cold] as number) / c;
  let inZero = 1;
  let inOne = 1;
  let k = 0;
  for (; k <= d; k++) if (p.feat[o + k] === f) break;
  if (k !== d + 1) {
    inZero = p.zero[o + k] as number;
    inOne = p.one[o + k] as number;
    unwind(p, o, d, k);
    d -= 1;
  }
  recurse(t, x, phi, p, hot, d + 1, o, hotZero * inZero, inOne, f);
  recurse(t, x, phi, p, cold, d + 1, o, coldZero * inZero, 0, f);
}

export interface ShapWork {
  path: Path;
  means: number[][];
  expected: number;
  /** leaf tables (treeshap-leaf.ts), or null to use Algorithm 2 throughout */
  tables: LeafTables | null;
  dir: Int32Array;
}

/** Buffers, node means and (unless `algorithm2`) leaf tables for a model; reuse across rows. */
export function shapWork(m: XgbIR, algorithm2 = false): ShapWork {
  let maxDepth = 0;
  for (const t of m.trees) maxDepth = Math.max(maxDepth, treeDepth(t));
  const size = ((maxDepth + 2) * (maxDepth + 3)) / 2 + maxDepth + 2;
  const path = { feat: new Int32Array(size), zero: new Float64Array(size), one: new Float64Array(size), w: new Float64Array(size) };
  const means = m.trees.map(nodeMeans);
  let expected = m.base;
  for (const mm of means) expected += mm[0] as number;
  let nodes = 1;
  for (const t of m.trees) nodes = Math.max(nodes, t.left.length);
  return { path, means, expected, tables: algorithm2 ? null : leafTables(m), dir: new Int32Array(nodes) };
}

export function treeDepth(t: XgbTree): number {
  const depth = new Array<number>(t.left.length).fill(0);
  let max = 0;
  for (let i = 0; i < t.left.length; i++) {
    const l = t.left[i] as number;
    if (l === -1) continue;
    const d = (depth[i] as number) + 1;
    depth[l] = d;
    depth[t.right[i] as number] = d;
    if (d > max) max = d;
  }
  return max;
}

/**
 * SHAP values of one row in margin space: one per input, then the bias (expected margin),
 * as XGBoost's predict(pred_contribs=True) lays them out.
 */
export function treeShap(m: XgbIR, x: readonly (number | null)[], work: ShapWork = shapWork(m)): Float64Array {
  const n = x.length;
  const phi = new Float64Array(n + 1);
  m.trees.forEach((t, k) => {
    const tt = work.tables?.trees[k];
    if (tt) leafShapTree(t, tt, x, phi, work.dir);
    else recurse(t, x, phi, work.path, 0, 0, 0, 1, 1, -1);
  });
  phi[n] = work.expected;
  return phi;
}

/**
 * SHAP values of many rows at once (rows x (inputs + 1), row-major), tree by tree so that
 * each tree's tables stay in cache: the same numbers as treeShap row by row.
 */
export function treeShapMany(m: XgbIR, xs: readonly (readonly (number | null)[])[], work: ShapWork = shapWork(m)): Float64Array[] {
  const out = xs.map((x) => {
    const phi = new Float64Array(x.length + 1);
    phi[x.length] = work.expected;
    return phi;
  });
  m.trees.forEach((t, k) => {
    const tt = work.tables?.trees[k];
    for (let r = 0; r < xs.length; r++) {
      const x = xs[r] as readonly (number | null)[];
      const phi = out[r] as Float64Array;
      if (tt) leafShapTree(t, tt, x, phi, work.dir);
      else recurse(t, x, phi, work.path, 0, 0, 0, 1, 1, -1);
    }
  });
  return out;
}
