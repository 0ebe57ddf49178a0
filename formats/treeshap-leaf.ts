// Exact path-dependent TreeSHAP by leaf tables: the same values as Algorithm 2 of
// Lundberg, Erion, Lee (2018), computed in O(leaves x depth) per row after a one-off
// precomputation per model (in the spirit of Yang 2021, "Fast TreeSHAP", v2).
//
// For a leaf with value v whose path splits on d distinct features F, let z_j be the
// product of the cover ratios of the splits on feature j along the path, and o_j = 1 if
// the row follows all of them (else 0). The leaf adds to feature i (Shapley value of the
// game S -> v * prod_{j in S} o_j * prod_{j in F\S} z_j):
//   phi_i += v * (o_i - z_i) * G(O \ {i}) / z_i,   O = { j : o_j = 1 },
//   G(P) = sum_{S subset of P} k!(d-k-1)!/d! * prod_{j in F\S} z_j   (k = |S|),
// and G depends on the row only through the mask O \ {i}: it is tabulated per leaf.
import type { XgbIR, XgbTree } from './ir.js';

const f32 = Math.fround;

/** Tables beyond this many entries (over all leaves) are not built; Algorithm 2 is used instead. */
export const MAX_TABLE_ENTRIES = 8_000_000;

export interface LeafTables {
  /** per tree: its leaves' data, or null when the tree has a zero cover (Algorithm 2 for it) */
  trees: (TreeTables | null)[];
}

/** The leaves of one tree, flattened so that the per-row loop reads a few large arrays. */
export interface TreeTables {
  leaves: number;
  /** per node: the position of its split feature among the distinct features of its path */
  posOf: Int32Array;
  /** per leaf: its node id, start of its features in feats/z/vz, start of its table in g */
  leafNode: Int32Array;
  featStart: Int32Array;
  gStart: Int32Array;
  /** per leaf: its value v */
  value: Float64Array;
  /** per leaf feature: input index, and v (1 - z_j) / z_j */
  feats: Int32Array;
  a1: Float64Array;
  /** per leaf: G(P) for every mask P of its d features */
  g: Float64Array;
}

interface Leaf {
  node: number;
  value: number;
  feats: number[];
  a1: number[];
  g: Float64Array;
}

function weights(d: number): Float64Array {
  // w(k, d) = k! (d-k-1)! / d!
  const w = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    let x = 1 / d;
    // k! (d-k-1)! / (d-1)! = 1 / C(d-1, k)
    let c = 1;
    for (let j = 1; j <= k; j++) c = (c * (d - 1 - k + j)) / j;
    x /= c;
    w[k] = x;
  }
  return w;
}

function leafTable(t: XgbTree, path: number[], leaf: number): Leaf | null {
  const feats: number[] = [];
  const z: number[] = [];
  for (let s = 0; s < path.length; s++) {
    const node = path[s] as number;
    const next = s + 1 < path.length ? (path[s + 1] as number) : leaf;
    const f = t.feature[node] as number;
    let p = feats.indexOf(f);
    if (p < 0) {
      p = feats.push(f) - 1;
      z.push(1);
    }
    const ratio = (t.cover[next] as number) / (t.cover[node] as number);
    if (!(ratio > 0) || !Number.isFinite(ratio)) return null;
    z[p] = (z[p] as number) * ratio;
  }
  const d = feats.length;
  const w = weights(d);
  const g = new Float64Array(1 << d);
  const poly = new Float64Array(d + 1);
  for (let mask = 0; mask < 1 << d; mask++) {
    poly.fill(0);
    poly[0] = 1;
    let deg = 0;
    let scale = 1;
    for (let j = 0; j < d; j++) {
      const zj = z[j] as number;
      if (mask & (1 << j)) {
        // multiply by (t + z_j): t counts j in S, z_j counts j in P \ S
        for (let k = deg + 1; k >= 1; k--) poly[k] = (poly[k] as number) * zj + (poly[k - 1] as number);
        poly[0] = (poly[0] as number) * zj;
        deg++;
      } else scale *= zj;
    }
    let s = 0;
    for (let k = 0; k <= deg && k < d; k++) s += (w[k] as number) * (poly[k] as number);
    g[mask] = s * scale;
  }
  const v = t.value[leaf] as number;
  return { node: leaf, value: v, feats, a1: z.map((zj) => (v * (1 - zj)) / zj), g };
}

/** Builds the leaf tables of a model, or null if they would be too large. */
export function leafTables(m: XgbIR): LeafTables | null {
  let entries = 0;
  const trees: (TreeTables | null)[] = [];
  for (const t of m.trees) {
    const leaves: Leaf[] = [];
    const posOf = new Int32Array(t.left.length);
    let ok = true;
    const walk = (node: number, path: number[]): void => {
      if (!ok) return;
      if (t.left[node] !== -1) {
        // distinct features in order of first appearance along the path, as leafTable numbers them
        const seen: number[] = [];
        for (const a of path) if (!seen.includes(t.feature[a] as number)) seen.push(t.feature[a] as number);
        const f = t.feature[node] as number;
        posOf[node] = seen.includes(f) ? seen.indexOf(f) : seen.length;
      }
      if (t.left[node] === -1) {
        const l = leafTable(t, path, node);
        if (!l) ok = false;
        else {
          entries += l.g.length;
          leaves.push(l);
        }
        return;
      }
      path.push(node);
      walk(t.left[node] as number, path);
      walk(t.right[node] as number, path);
      path.pop();
    };
    // count first, so a deep model is refused before anything large is built
    let est = 0;
    const count = (node: number, depth: number): void => {
      if (t.left[node] === -1) est += 2 ** Math.min(depth, 30);
      else {
        count(t.left[node] as number, depth + 1);
        count(t.right[node] as number, depth + 1);
      }
    };
    count(0, 0);
    if (entries + est > MAX_TABLE_ENTRIES) return null;
    walk(0, []);
    trees.push(ok ? flatten(leaves, posOf) : null);
  }
  return { trees };
}

function flatten(leaves: Leaf[], posOf: Int32Array): TreeTables {
  const n = leaves.length;
  const featStart = new Int32Array(n + 1);
  const gStart = new Int32Array(n + 1);
  leaves.forEach((l, i) => {
    featStart[i + 1] = (featStart[i] as number) + l.feats.length;
    gStart[i + 1] = (gStart[i] as number) + l.g.length;
  });
  const t: TreeTables = {
    leaves: n,
    posOf,
    leafNode: Int32Array.from(leaves.map((l) => l.node)),
    featStart,
    gStart,
    value: Float64Array.from(leaves.map((l) => l.value)),
    feats: Int32Array.from(leaves.flatMap((l) => l.feats)),
    a1: Float64Array.from(leaves.flatMap((l) => l.a1)),
    g: new Float64Array(gStart[n] as number),
  };
  leaves.forEach((l, i) => t.g.set(l.g, gStart[i] as number));
  return t;
}

/**
 * Adds one tree's SHAP values of row `x` to `phi`. `cleared` is scratch of the tree's
 * size: per node, the bits of the path's features whose splits the row did not follow.
 */
export function leafShapTree(t: XgbTree, tt: TreeTables, x: readonly (number | null)[], phi: Float64Array, cleared: Int32Array): void {
  const left = t.left;
  const posOf = tt.posOf;
  cleared[0] = 0;
  // node ids grow from parent to child, so one forward pass sees every parent first
  for (let i = 0; i < left.length; i++) {
    const l = left[i] as number;
    if (l === -1) continue;
    const v = x[t.feature[i] as number] ?? null;
    const goLeft = v === null ? (t.defaultLeft[i] as number) : f32(v) < (t.value[i] as number) ? 1 : 0;
    const c = cleared[i] as number;
    const bit = 1 << (posOf[i] as number);
    cleared[l] = c | (goLeft ? 0 : bit);
    cleared[t.right[i] as number] = c | (goLeft ? bit : 0);
  }
  const { leafNode, featStart, gStart, value, feats, a1, g } = tt;
  for (let l = 0; l < tt.leaves; l++) {
    const f0 = featStart[l] as number;
    const d = (featStart[l + 1] as number) - f0;
    const o = ((1 << d) - 1) & ~(cleared[leafNode[l] as number] as number);
    const gb = gStart[l] as number;
    // j not in O: phi_j += v (0 - z_j) G(O) / z_j = -v G(O); j in O: v (1 - z_j) / z_j * G(O \ {j})
    const out = (value[l] as number) * (g[gb + o] as number);
    for (let i = 0; i < d; i++) {
      const f = feats[f0 + i] as number;
      if ((o >> i) & 1) phi[f] = (phi[f] as number) + (a1[f0 + i] as number) * (g[gb + (o ^ (1 << i))] as number);
      else phi[f] = (phi[f] as number) - out;
    }
  }
}
