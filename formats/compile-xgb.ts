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
  const out = m.objective === 'binary:logistic' ? 'return 1 / (1 + Math.exp(-m));' : 'return m;';
  return [
    ...fns,
    `function margin(f) {\n  let s = ${num(m.base)};\n${calls}\n  return s;\n}\n`,
    `function rawOutput(f) {\n  const m = margin(f);\n  ${out}\n}\n`,
  ].join('\n');
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
