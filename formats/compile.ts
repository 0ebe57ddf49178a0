// IR -> the source of an ES module that exports only `score(row)`, run by the platform's
// sandbox like a hand-written model. The compiler's input is numbers, catalog field names
// (checked against /^[a-z][a-z0-9_]*$/), the caller's reason codes (checked against the
// manifest's pattern) and our own op vocabulary: every string it emits is checked to be
// one of those, and every number is written by a round-trip-exact formatter. Nothing else
// from a model file can reach the code.
//
// The module obeys the platform's rules for model code: only function and const
// declarations at the top level, const initialisers are literals, no classes, try, async,
// import/export other than `export function score`, and only the allowed globals.
import { MAX_COMPILED_BYTES } from '../core/limits.js';
import { formatError } from './errors.js';
import { FIELD_NAME } from './input.js';
import { FN_NAMES, type FormatIR, type XgbIR, type XgbTree } from './ir.js';
import { reasonPlan, type ReasonMap } from './reasons.js';
import { SCORECARD_HELPERS, scorecardSource } from './compile-pmml.js';
import { linearShapSource, xgbBatchSource, xgbScoringSource } from './compile-xgb.js';
import { BATCH_SOURCE, COMMON_SOURCE, GENERIC_BATCH_SOURCE, NO_REASONS_SOURCE, PMML_SOURCE, XGB_ROW_SOURCE, XGB_SHAP_SOURCE } from './runtime-source.js';
import { checkLattice, scalingPlan, scoreSign } from './scaling.js';
import type { Lattice, Scaling } from './scaling.schema.js';
import { treeDepth } from './treeshap.js';

export interface CompileOptions {
  /** `score(row)` returns `{ score: <raw output>, reasons }` instead of a lattice score (for `dfix model try --raw`). */
  raw?: boolean;
  /** Regressions: baseline value per field for reason codes (default 0). */
  baseline?: Readonly<Record<string, number>>;
  /**
   * Also export `scoreBatch(x, names, n, out)`, which scores rows straight from the row-major
   * buffer (aggregates; the runner calls it for platform-compiled modules only).
   */
  batch?: boolean;
}

const REASON_CODE = /^[A-Z][A-Z0-9_]{1,47}$/;

/** Every string the IR may hold, besides field names: our vocabulary. */
const VOCABULARY = new Set<string>([
  'in', 'slot', 'const', 'fn', 'disc', 'norm', 'map', ...FN_NAMES,
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'true', 'false', 'cmp', 'missing', 'set', 'and', 'or', 'xor', 'surrogate',
  'oo', 'oc', 'co', 'cc', 'asIs', 'asMissingValues', 'asExtremeValues',
  'scorecard', 'regression', 'tree', 'mining', 'xgb', 'pointsBelow', 'pointsAbove',
  'none', 'logit', 'softmax', 'exp', 'cloglog', 'loglog', 'cauchit',
  'defaultChild', 'lastPrediction', 'nullPrediction', 'returnNullPrediction', 'returnLastPrediction',
  'sum', 'average', 'weightedAverage', 'majorityVote', 'modelChain',
  'binary:logistic', 'binary:logitraw', 'reg:squarederror',
]);

/** Object keys the IR may hold. */
const KEYS = new Set<string>([
  'op', 'i', 'rep', 'f32', 'v', 'fn', 'args', 'mapMissingTo', 'x', 'bins', 'def', 'l', 'r', 'c', 'pts', 'outliers', 'pairs',
  'p', 'cmp', 'neg', 'vs', 'ps', 'slot', 'kind', 'locals', 'initialScore', 'useReasonCodes', 'algorithm', 'chars', 'baseline',
  'reason', 'attrs', 'pred', 'score', 'classification', 'norm', 'tables', 'intercept', 'num', 'cat', 'exp', 'coef', 'input',
  'missing', 'noTrue', 'nodes', 'kids', 'dflt', 'method', 'segs', 'weight', 'model', 'out', 'objective', 'base', 'trees',
  'left', 'right', 'feature', 'value', 'defaultLeft', 'cover', 'pos', 'lin',
]);

/** Field names the platform's rules refuse as a plain property (R8): read through INPUTS. */
const NOT_PLAIN = new Set(['constructor', 'caller', 'callee', '__proto__']);

const OBJECTIVES = new Set(['binary:logistic', 'binary:logitraw', 'reg:squarederror']);

/** `readRow(row)`: the model's inputs by name, straight-line, each through `fn`. */
function readRowSource(inputs: readonly string[], fn: string): string {
  const reads = inputs.map((f, i) => {
    if (!FIELD_NAME.test(f)) throw formatError('FORMAT_FIELD_UNKNOWN', { detail: 'compile' });
    return `    ${fn}(${NOT_PLAIN.has(f) ? `row[INPUTS[${i}]]` : `row.${f}`}),`;
  });
  return `function readRow(row) {\n  return [\n${reads.join('\n')}\n  ];\n}\n`;
}

/** Per node: where its split feature is among the distinct features of the path above it (their count when new). */
export function pathPositions(t: XgbTree): number[] {
  const pos = new Array<number>(t.left.length).fill(0);
  const walk = (node: number, path: number[]): void => {
    const l = t.left[node] as number;
    if (l === -1) return;
    const f = t.feature[node] as number;
    const at = path.indexOf(f);
    pos[node] = at < 0 ? path.length : at;
    const next = at < 0 ? [...path, f] : path;
    walk(l, next);
    walk(t.right[node] as number, next);
  };
  walk(0, []);
  return pos;
}

/**
 * Gauss-Legendre nodes and weights on [0, 1] with n points (exact for polynomials of degree
 * 2n - 1): the roots of the Legendre polynomial P_n by Newton's method from Chebyshev guesses.
 */
export function gaussLegendre01(n: number): [number[], number[]] {
  const xs: number[] = [];
  const ws: number[] = [];
  for (let i = 0; i < n; i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      // P_n(x) and P_n'(x) by the three-term recurrence
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k];
      const p = n === 0 ? 1 : n === 1 ? x : p1;
      const pPrev = n === 1 ? 1 : p0;
      dp = (n * (x * p - pPrev)) / (x * x - 1);
      const dx = p / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    xs.push((1 - x) / 2);
    ws.push(1 / ((1 - x * x) * dp * dp));
  }
  return [xs, ws];
}

function bad(where: string): never {
  throw formatError('FORMAT_MALFORMED', { detail: `compile:${where}` });
}

/** A number as source that reads back as exactly the same double. */
export function numberSource(n: number): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) throw formatError('FORMAT_NUMBER_INVALID', { detail: 'compile' });
  if (Object.is(n, -0)) return '-0';
  const s = String(n); // ECMA-262 Number::toString: the shortest string that round-trips
  if (Number(s) !== n) bad('number');
  return s;
}

/** A literal: numbers, null, booleans, vocabulary strings (or `allow`ed ones), arrays and plain objects of those. */
function literal(v: unknown, allow: (s: string) => boolean = (s) => VOCABULARY.has(s), depth = 0): string {
  if (depth > 200) bad('depth');
  if (v === null) return 'null';
  switch (typeof v) {
    case 'number':
      return numberSource(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      if (!allow(v)) bad('string');
      return JSON.stringify(v);
    case 'object': {
      if (Array.isArray(v)) return `[${v.map((x) => literal(x, allow, depth + 1)).join(',')}]`;
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) bad('object');
      return `{${Object.entries(v as Record<string, unknown>)
        .map(([k, x]) => {
          if (!KEYS.has(k)) bad('key');
          return `${k}:${literal(x, allow, depth + 1)}`;
        })
        .join(',')}}`;
    }
    default:
      return bad(typeof v);
  }
}

/**
 * The module source of a model. `reasonMap` maps field names (PMML scorecards: their reason
 * codes) to the manifest's reason codes; `k` reasons at most per row (the worker accepts 3).
 */
export function compileModule(ir: FormatIR, scaling: Scaling, lattice: Lattice, reasonMap: ReasonMap, k: number, options: CompileOptions = {}): string {
  for (const f of ir.inputs) if (!FIELD_NAME.test(f)) throw formatError('FORMAT_FIELD_UNKNOWN', { detail: 'compile' });
  checkLattice(lattice);
  const plan = scalingPlan(ir.output, scaling);
  const reasons = reasonPlan(ir, reasonMap, k);
  for (const c of reasons.codes) if (!REASON_CODE.test(c)) throw formatError('FORMAT_REASON_UNMAPPED', { detail: 'compile' });
  const consts: [string, string][] = [
    ['INPUTS', literal(ir.inputs, (s) => FIELD_NAME.test(s))],
    ['CODES', literal(reasons.codes, (s) => REASON_CODE.test(s))],
    ['BYKEY', literal(reasons.byKey)],
    ['K', numberSource(k)],
    ['SIGN', numberSource(scoreSign(plan))],
    ['SCALE', literal([plan.link, plan.a, plan.b, lattice.min, lattice.max, lattice.step])],
  ];
  let runtime: string;
  if (ir.model.kind === 'xgb') {
    const m = ir.model as XgbIR;
    if (!OBJECTIVES.has(m.objective)) bad('objective');
    // the batch module walks the trees as tables (scoreBatch, and one row of it for score)
    const trees = options.batch ? xgbBatchSource(m, ir.inputs.length, numberSource) : xgbScoringSource(m, ir.inputs.length, numberSource);
    runtime = [XGB_ROW_SOURCE, readRowSource(ir.inputs, 'feature'), trees].join('\n');
    if (k > 0) {
      let depth = 0;
      for (const t of m.trees) depth = Math.max(depth, treeDepth(t));
      // the linear form divides by covers and cover ratios: only trees whose covers are all positive
      const trees = m.trees.map((t) => ({ ...t, pos: pathPositions(t), lin: t.cover.every((c) => c > 0) ? 1 : 0 }));
      consts.push(['MODEL', literal({ kind: 'xgb', objective: m.objective, base: m.base, trees })]);
      consts.push(['PATH', numberSource(depth + 2)]);
      consts.push(['GAUSS', literal(Array.from({ length: ((depth + 1) >> 1) + 1 }, (_, n) => gaussLegendre01(n)))]);
      // the linear form integrates polynomials of degree < depth at one set of points
      const [gx, gw] = gaussLegendre01(Math.max(1, (depth + 1) >> 1));
      consts.push(['NG', numberSource(gx.length)]);
      runtime += XGB_SHAP_SOURCE + linearShapSource(gx, gw, numberSource);
    } else runtime += NO_REASONS_SOURCE;
  } else {
    consts.push(['MODEL', literal(ir.model)]);
    consts.push(['PRELUDE', literal(ir.prelude)]);
    consts.push(['SLOTS', numberSource(ir.slots)]);
    consts.push(['BASELINE', literal(ir.inputs.map((f) => options.baseline?.[f] ?? 0))]);
    runtime = readRowSource(ir.inputs, 'value') + PMML_SOURCE;
    if (ir.model.kind === 'scorecard') {
      const card = scorecardSource(ir.model, ir.inputs.length, ir.slots, numberSource);
      for (const [name, x] of card.fallbacks) consts.push([name, literal(x)]);
      // a card that reads no slot, local or interpreter needs no state: no allocation for it
      const st = card.usesState || ir.prelude.length > 0 || ir.slots > 0 ? 'state(x)' : 'null';
      runtime += SCORECARD_HELPERS + card.source + `function rawOutput(x) {\n  return topScorecard(x, ${st}, null);\n}\n`;
    } else {
      runtime += 'function topScorecard(x, st, diffs) {\n  return null;\n}\nfunction rawOutput(x) {\n  return modelValue(MODEL, state(x));\n}\n';
    }
  }
  if (options.batch) {
    const output = options.raw ? 'return raw === null ? NaN : raw;' : 'const s = scaleScore(raw);\n  return s === null ? NaN : s;';
    runtime += `${BATCH_SOURCE}function batchOutput(raw) {\n  ${output}\n}\n`;
    if (ir.model.kind !== 'xgb') runtime += GENERIC_BATCH_SOURCE;
  }
  const body = options.raw
    ? `export function score(row) {\n  const x = readRow(row);\n  const raw = rawOutput(x);\n  return { score: raw, reasons: raw === null ? [] : reasonsOf(x) };\n}\n`
    : `export function score(row) {\n  const x = readRow(row);\n  const s = scaleScore(rawOutput(x));\n  return { score: s, reasons: s === null ? [] : reasonsOf(x) };\n}\n`;
  const source = [
    `// Compiled by DFIX formats/ from a ${ir.format === 'xgboost' ? 'XGBoost' : 'PMML'} model${options.raw ? ' (raw output)' : ''}.`,
    ...consts.map(([name, src]) => `const ${name} = ${src};`),
    COMMON_SOURCE,
    runtime,
    body,
  ].join('\n');
  if (source.length > MAX_COMPILED_BYTES) throw formatError('FORMAT_LIMIT', { detail: `compiled>${MAX_COMPILED_BYTES}` });
  return source;
}
