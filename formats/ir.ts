// The intermediate form of a model file: numbers, catalog field names and our own fixed
// vocabulary (op names), nothing else. Strings of the model file (derived field names,
// category labels, reason code names) are resolved to indices and numbers by the parsers;
// the reason code names of a PMML scorecard are kept aside in `reasonKeys`, only for the
// caller's mapping, and never reach compiled code.
//
// A value is a number or null (missing). Booleans are 1/0. Category values are the
// catalog's integer codes (index into `categories`).

/** An expression (PMML 4.4 "Transformations"). */
export type Expr =
  /** Input field `i` of `inputs`; `rep` is MiningSchema's missingValueReplacement; `f32` rounds to float. */
  | { op: 'in'; i: number; rep: number | null; f32: boolean }
  /** A slot: a derived field or a model output computed earlier. */
  | { op: 'slot'; i: number }
  | { op: 'const'; v: number | null }
  | { op: 'fn'; fn: FnName; args: Expr[]; mapMissingTo: number | null }
  /** Discretize: bins [l, r] with closure; null margin = unbounded. */
  | { op: 'disc'; x: Expr; bins: Bin[]; mapMissingTo: number | null; def: number | null }
  /** NormContinuous: piecewise linear through `pts` [orig, norm]. */
  | { op: 'norm'; x: Expr; pts: [number, number][]; outliers: 'asIs' | 'asMissingValues' | 'asExtremeValues'; mapMissingTo: number | null }
  /** MapValues with one input column: `pairs` [from, to]. */
  | { op: 'map'; x: Expr; pairs: [number, number][]; mapMissingTo: number | null; def: number | null };

export interface Bin {
  l: number | null;
  r: number | null;
  /** closure: 'oo' openOpen, 'oc' openClosed, 'co' closedOpen, 'cc' closedClosed. */
  c: 'oo' | 'oc' | 'co' | 'cc';
  v: number;
}

export const FN_NAMES = [
  '+', '-', '*', '/', 'min', 'max', 'sum', 'avg', 'log', 'ln', 'exp', 'abs', 'sqrt', 'pow', 'floor', 'ceil', 'round',
  'equal', 'notEqual', 'lessThan', 'lessOrEqual', 'greaterThan', 'greaterOrEqual',
  'and', 'or', 'not', 'if', 'isMissing', 'isNotMissing',
] as const;
export type FnName = (typeof FN_NAMES)[number];

/** PMML 4.4 "Predicates": three-valued (TRUE, FALSE, UNKNOWN). */
export type Pred =
  | { p: 'true' }
  | { p: 'false' }
  | { p: 'cmp'; x: Expr; cmp: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'; v: number }
  | { p: 'missing'; x: Expr; neg: boolean }
  | { p: 'set'; x: Expr; vs: number[]; neg: boolean }
  | { p: 'and' | 'or' | 'xor' | 'surrogate'; ps: Pred[] };

export interface Assign {
  slot: number;
  x: Expr;
}

/** PMML 4.4 "Scorecard". Reason indices point into FormatIR.reasonKeys. */
export interface ScorecardIR {
  kind: 'scorecard';
  locals: Assign[];
  initialScore: number;
  useReasonCodes: boolean;
  algorithm: 'pointsBelow' | 'pointsAbove';
  chars: { baseline: number | null; reason: number | null; attrs: { pred: Pred; score: Expr; reason: number | null }[] }[];
}

/** PMML 4.4 "RegressionModel": the output is table 0 after normalization. */
export interface RegressionIR {
  kind: 'regression';
  locals: Assign[];
  classification: boolean;
  norm: 'none' | 'logit' | 'softmax' | 'exp' | 'cloglog' | 'loglog' | 'cauchit';
  tables: { intercept: number; num: { x: Expr; exp: number; coef: number; input: number }[]; cat: { x: Expr; v: number; coef: number; input: number }[] }[];
}

/** PMML 4.4 "TreeModel", regression trees; nodes flattened, root = 0. */
export interface TreeIR {
  kind: 'tree';
  locals: Assign[];
  missing: 'none' | 'defaultChild' | 'lastPrediction' | 'nullPrediction';
  noTrue: 'returnNullPrediction' | 'returnLastPrediction';
  nodes: { pred: Pred; score: number | null; kids: number[]; dflt: number }[];
}

/** PMML 4.4 "MiningModel" with Segmentation; `out` is the slot the segment's value is written to (-1: none). */
export interface MiningIR {
  kind: 'mining';
  locals: Assign[];
  method: 'sum' | 'average' | 'weightedAverage' | 'majorityVote' | 'modelChain';
  segs: { pred: Pred; weight: number; model: PmmlModelIR; out: number }[];
}

export type PmmlModelIR = ScorecardIR | RegressionIR | TreeIR | MiningIR;

/** One XGBoost tree as XGBoost stores it: arrays by node id; a leaf has left = -1. */
export interface XgbTree {
  left: number[];
  right: number[];
  /** index into FormatIR.inputs */
  feature: number[];
  /** float32 thresholds; for leaves, the leaf value (float32) */
  value: number[];
  defaultLeft: (0 | 1)[];
  /** sum_hessian per node, for TreeSHAP */
  cover: number[];
}

export interface XgbIR {
  kind: 'xgb';
  objective: 'binary:logistic' | 'binary:logitraw' | 'reg:squarederror';
  /** base margin (float32): logit(base_score) for binary:logistic, base_score otherwise */
  base: number;
  trees: XgbTree[];
}

export interface FormatIR {
  format: 'pmml' | 'xgboost';
  /** Catalog fields the model reads, checked against the catalog. */
  inputs: string[];
  /** What the raw output is: a probability, a margin (log-odds), points, or a plain value. */
  output: 'probability' | 'margin' | 'points' | 'value';
  /** PMML only: slots for derived fields and segment outputs; the prelude fills the global ones. */
  slots: number;
  prelude: Assign[];
  model: PmmlModelIR | XgbIR;
  /** PMML scorecard reason code names, by index; for the caller's mapping only. */
  reasonKeys: string[];
}
