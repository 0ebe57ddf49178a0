// Reason codes. PMML scorecards: PMML 4.4 "Scorecard", reason code ranking (pointsBelow:
// baseline - partial score, pointsAbove: partial score - baseline; differences of the same
// reason code are added; ranked in descending order). Tree ensembles: exact TreeSHAP per
// feature (treeshap.ts). Regressions: coefficient x (value - baseline value), baseline 0
// unless the caller gives one. Feature contributions are added up per reason code through
// the caller's map (field name -> code) and the k most adverse (lowering the score) are
// returned, most adverse first; ties keep the order of the IR's inputs.
import { evaluate, type Row, rowVector } from './evaluate.js';
import { formatError } from './errors.js';
import { safeName } from './input.js';
import type { FormatIR, RegressionIR, XgbIR } from './ir.js';
import { LIMITS } from './limits.js';
import { evalExpr, evalScorecard, pmmlState } from './pmml-eval.js';
import { treeShap, type ShapWork } from './treeshap.js';

const REASON_CODE = /^[A-Z][A-Z0-9_]{1,47}$/;

/** Caller's mapping: field name (or, for a PMML scorecard, its reason code) -> manifest reason code. */
export type ReasonMap = Readonly<Record<string, string>>;

/** The reason codes in order of first use, and per key (input or scorecard reason) its code index or -1. */
export interface ReasonPlan {
  codes: string[];
  byKey: number[];
}

export function reasonPlan(ir: FormatIR, map: ReasonMap, k: number): ReasonPlan {
  if (!Number.isInteger(k) || k < 0 || k > LIMITS.reasons) throw formatError('FORMAT_REASON_UNMAPPED', { detail: `k>${LIMITS.reasons}` });
  const scorecard = ir.model.kind === 'scorecard';
  const keys = scorecard ? ir.reasonKeys : ir.inputs;
  for (const [key, code] of Object.entries(map)) {
    if (!keys.includes(key)) throw formatError('FORMAT_REASON_UNMAPPED', { detail: safeName(key) });
    if (typeof code !== 'string' || !REASON_CODE.test(code)) throw formatError('FORMAT_REASON_UNMAPPED', { detail: safeName(key) });
  }
  const codes: string[] = [];
  const byKey = keys.map((key) => {
    const code = Object.hasOwn(map, key) ? map[key] : undefined;
    if (code === undefined) {
      // every reason a scorecard can give must have a code of the manifest
      if (scorecard && k > 0) throw formatError('FORMAT_REASON_UNMAPPED', { detail: safeName(key) });
      return -1;
    }
    let i = codes.indexOf(code);
    if (i < 0) i = codes.push(code) - 1;
    return i;
  });
  return { codes, byKey };
}

/** Per-input contributions in the model's link space (margin, linear predictor); null for models without them. */
export function contributions(ir: FormatIR, row: Row, baseline: Readonly<Record<string, number>> = {}, work?: ShapWork): number[] | null {
  const x = rowVector(ir, row);
  const m = ir.model;
  if (m.kind === 'xgb') return Array.from(treeShap(m as XgbIR, x, work).subarray(0, x.length));
  if (m.kind !== 'regression') return null;
  return regressionContributions(ir, m, x, baseline);
}

function regressionContributions(ir: FormatIR, m: RegressionIR, x: (number | null)[], baseline: Readonly<Record<string, number>>): number[] {
  const out = new Array<number>(ir.inputs.length).fill(0);
  const t = m.tables[0];
  if (!t) return out;
  const st = pmmlState(ir, x);
  const base = (i: number) => baseline[ir.inputs[i] as string] ?? 0;
  for (const p of t.num) {
    if (p.input < 0) continue;
    const v = evalExpr(p.x, st);
    if (v === null) continue;
    out[p.input] = (out[p.input] as number) + p.coef * (Math.pow(v, p.exp) - Math.pow(base(p.input), p.exp));
  }
  for (const p of t.cat) {
    if (p.input < 0) continue;
    const v = evalExpr(p.x, st);
    if (v === null) continue;
    out[p.input] = (out[p.input] as number) + p.coef * ((v === p.v ? 1 : 0) - (base(p.input) === p.v ? 1 : 0));
  }
  return out;
}

/** The k most adverse codes: `adverse[j]` > 0 means code j lowers the score by that much. */
export function topReasons(plan: ReasonPlan, adverse: readonly number[], k: number): string[] {
  const order = plan.codes.map((_, j) => j).filter((j) => (adverse[j] as number) > 0);
  order.sort((a, b) => (adverse[b] as number) - (adverse[a] as number) || a - b);
  return order.slice(0, k).map((j) => plan.codes[j] as string);
}

/** Reason codes of one row. `sign` is scoreSign(scalingPlan(...)): +1 if a higher raw output is a higher score. */
export function reasonCodes(ir: FormatIR, row: Row, plan: ReasonPlan, k: number, sign: 1 | -1, baseline: Readonly<Record<string, number>> = {}, work?: ShapWork): string[] {
  const adverse = new Array<number>(plan.codes.length).fill(0);
  if (ir.model.kind === 'scorecard') {
    if (!ir.model.useReasonCodes) return [];
    const r = evalScorecard(ir.model, pmmlState(ir, rowVector(ir, row)));
    if (r.value === null) return [];
    for (const [key, diff] of r.diffs) {
      const j = plan.byKey[key] as number;
      if (j >= 0) adverse[j] = (adverse[j] as number) + diff;
    }
    return topReasons(plan, adverse, k);
  }
  if (evaluate(ir, row) === null) return [];
  const c = contributions(ir, row, baseline, work);
  if (!c) return [];
  c.forEach((v, i) => {
    const j = plan.byKey[i] as number;
    if (j >= 0) adverse[j] = (adverse[j] as number) - sign * v;
  });
  return topReasons(plan, adverse, k);
}
