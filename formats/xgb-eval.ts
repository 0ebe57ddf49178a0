// Evaluation of XGBoost trees exactly as XGBoost's CPU predictor does it: features and
// thresholds compared as float32 (`fval < split_cond` goes left, missing takes the default
// direction), leaf values accumulated into a float32 sum that starts at the base margin,
// and for binary:logistic the sigmoid of that margin.
import type { XgbIR } from './ir.js';
import { nextNode } from './treeshap.js';

const f32 = Math.fround;

/** The margin (float32 sum of the base margin and one leaf per tree) of a row. */
export function xgbMargin(m: XgbIR, x: readonly (number | null)[]): number {
  let sum = m.base;
  for (const t of m.trees) {
    let i = 0;
    while (t.left[i] !== -1) i = nextNode(t, i, x[t.feature[i] as number] ?? null);
    sum = f32(sum + (t.value[i] as number));
  }
  return sum;
}

/** The objective's output of a margin: probability for binary:logistic, else the margin itself. */
export function xgbOutput(m: XgbIR, margin: number): number {
  return m.objective === 'binary:logistic' ? 1 / (1 + Math.exp(-margin)) : margin;
}
