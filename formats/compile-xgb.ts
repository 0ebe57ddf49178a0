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
