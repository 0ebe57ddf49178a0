// Raw output -> score on the lattice. The compiled module carries the same arithmetic
// (runtime-source.ts); both round half up to the nearest lattice point and clamp.
import { formatError } from './errors.js';
import type { FormatIR } from './ir.js';
import type { Lattice, Scaling } from './scaling.schema.js';

/** The constants of a scaling, checked against the model's output kind: score = a + b * link(raw). */
export interface ScalingPlan {
  /** 0: identity, 1: raw is a probability (link = logit), 2: raw is a margin (link = identity) */
  link: 0 | 1 | 2;
  a: number;
  b: number;
}

export function scalingPlan(output: FormatIR['output'], scaling: Scaling): ScalingPlan {
  if (scaling.method === 'identity') {
    if (output === 'probability' || output === 'margin') throw formatError('FORMAT_UNSUPPORTED', { detail: `scaling:identity@${output}` });
    return { link: 0, a: 0, b: 1 };
  }
  if (output !== 'probability' && output !== 'margin') throw formatError('FORMAT_UNSUPPORTED', { detail: `scaling:pdo@${output}` });
  const factor = scaling.pdo / Math.LN2;
  // ln(odds good:bad) = +logit(p) if the model predicts good, -logit(p) if it predicts bad
  const sign = (scaling.odds === 'good:bad') === (scaling.predicts === 'good') ? 1 : -1;
  return { link: output === 'probability' ? 1 : 2, a: scaling.offset, b: sign * factor };
}

export function checkLattice(l: Lattice): void {
  const ok = [l.min, l.max, l.step].every(Number.isSafeInteger) && l.step >= 1 && l.max >= l.min && (l.max - l.min) % l.step === 0;
  if (!ok) throw formatError('FORMAT_UNSUPPORTED', { detail: 'lattice' });
}

/** The score of a raw output, or null when the model gave none. */
export function scaleScore(raw: number | null, plan: ScalingPlan, l: Lattice): number | null {
  if (raw === null || Number.isNaN(raw)) return null;
  const link = plan.link === 1 ? Math.log(raw / (1 - raw)) : raw;
  const s = plan.a + plan.b * link;
  if (Number.isNaN(s)) return null;
  const k = Math.round((s - l.min) / l.step);
  return Math.min(l.max, Math.max(l.min, l.min + (Number.isFinite(k) ? k : s > 0 ? Infinity : -Infinity) * l.step));
}

/** +1 if a larger raw output (or contribution to it) gives a higher score, -1 if lower. */
export function scoreSign(plan: ScalingPlan): 1 | -1 {
  return plan.b >= 0 ? 1 : -1;
}
