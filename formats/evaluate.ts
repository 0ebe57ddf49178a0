// evaluate(ir, row): the raw output of a model for one row, as the model defines it
// (FormatIR.output: a probability, a margin, points or a plain value), or null when the
// model's own rules give no prediction (PMML: a missing result).
import type { FormatIR } from './ir.js';
import { modelValue, pmmlState } from './pmml-eval.js';
import { xgbMargin, xgbOutput } from './xgb-eval.js';

export type Row = Readonly<Record<string, number | null | undefined>>;

/** The row's values in `ir.inputs` order; absent, null and non-finite values are missing. */
export function rowVector(ir: FormatIR, row: Row): (number | null)[] {
  return ir.inputs.map((f) => {
    const v = row[f];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  });
}

export function evaluate(ir: FormatIR, row: Row): number | null {
  const x = rowVector(ir, row);
  if (ir.model.kind === 'xgb') return xgbOutput(ir.model, xgbMargin(ir.model, x));
  return modelValue(ir.model, pmmlState(ir, x));
}

/** The margin (log-odds) of an XGBoost model; for other models the same as evaluate. */
export function evaluateMargin(ir: FormatIR, row: Row): number | null {
  const x = rowVector(ir, row);
  if (ir.model.kind === 'xgb') return xgbMargin(ir.model, x);
  return modelValue(ir.model, pmmlState(ir, x));
}
