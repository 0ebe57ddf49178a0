// Evaluation of PMML IR, following PMML 4.4: missing values propagate through functions
// ("Built-in Functions": a missing argument gives a missing result, except isMissing,
// isNotMissing and the branches of if), predicates are three-valued ("Predicates":
// TRUE 1, FALSE 0, UNKNOWN -1), and each model's own rules for missing values.
// runtime-source.ts carries the same procedure as source for compiled modules.
import type { Expr, FormatIR, MiningIR, PmmlModelIR, Pred, RegressionIR, ScorecardIR, TreeIR } from './ir.js';

type V = number | null;

export interface PmmlState {
  x: readonly V[];
  s: V[];
}

function fn(name: string, a: V[]): V {
  const [p, q] = a;
  switch (name) {
    case 'isMissing':
      return p === null ? 1 : 0;
    case 'isNotMissing':
      return p === null ? 0 : 1;
  }
  for (const v of a) if (v === null) return null;
  const x = p as number;
  const y = q as number;
  switch (name) {
    case '+': return x + y;
    case '-': return x - y;
    case '*': return x * y;
    case '/': return y === 0 ? null : x / y;
    case 'min': return Math.min(...(a as number[]));
    case 'max': return Math.max(...(a as number[]));
    case 'sum': return (a as number[]).reduce((s, v) => s + v, 0);
    case 'avg': return (a as number[]).reduce((s, v) => s + v, 0) / a.length;
    case 'log': return x > 0 ? Math.log10(x) : null;
    case 'ln': return x > 0 ? Math.log(x) : null;
    case 'exp': return Math.exp(x);
    case 'abs': return Math.abs(x);
    case 'sqrt': return x >= 0 ? Math.sqrt(x) : null;
    case 'pow': return Math.pow(x, y);
    case 'floor': return Math.floor(x);
    case 'ceil': return Math.ceil(x);
    case 'round': return Math.round(x);
    case 'equal': return x === y ? 1 : 0;
    case 'notEqual': return x !== y ? 1 : 0;
    case 'lessThan': return x < y ? 1 : 0;
    case 'lessOrEqual': return x <= y ? 1 : 0;
    case 'greaterThan': return x > y ? 1 : 0;
    case 'greaterOrEqual': return x >= y ? 1 : 0;
    case 'and': return (a as number[]).every((v) => v !== 0) ? 1 : 0;
    case 'or': return (a as number[]).some((v) => v !== 0) ? 1 : 0;
    case 'not': return x === 0 ? 1 : 0;
  }
  return null;
}

function finiteOrNull(v: V): V {
  return v === null || Number.isFinite(v) ? v : null;
}

export function evalExpr(e: Expr, st: PmmlState): V {
  switch (e.op) {
    case 'in': {
      const v = st.x[e.i] ?? null;
      if (v === null) return e.rep;
      return e.f32 ? Math.fround(v) : v;
    }
    case 'slot':
      return st.s[e.i] ?? null;
    case 'const':
      return e.v;
    case 'fn': {
      let r: V;
      if (e.fn === 'if') {
        const c = evalExpr(e.args[0] as Expr, st);
        r = c === null ? null : evalExpr(e.args[c !== 0 ? 1 : 2] as Expr, st);
      } else r = finiteOrNull(fn(e.fn, e.args.map((a) => evalExpr(a, st))));
      return r === null ? e.mapMissingTo : r;
    }
    case 'disc': {
      const v = evalExpr(e.x, st);
      if (v === null) return e.mapMissingTo;
      for (const b of e.bins) {
        const okL = b.l === null || (b.c === 'co' || b.c === 'cc' ? v >= b.l : v > b.l);
        const okR = b.r === null || (b.c === 'oc' || b.c === 'cc' ? v <= b.r : v < b.r);
        if (okL && okR) return b.v;
      }
      return e.def;
    }
    case 'norm': {
      const v = evalExpr(e.x, st);
      if (v === null) return e.mapMissingTo;
      const p = e.pts;
      const first = p[0] as [number, number];
      const last = p[p.length - 1] as [number, number];
      if (v < first[0] || v > last[0]) {
        if (e.outliers === 'asMissingValues') return null;
        if (e.outliers === 'asExtremeValues') return v < first[0] ? first[1] : last[1];
      }
      // "NormContinuous": linear interpolation between neighbouring points, extrapolation by the end segments
      let k = 1;
      while (k < p.length - 1 && v > (p[k] as [number, number])[0]) k++;
      const [a0, b0] = p[k - 1] as [number, number];
      const [a1, b1] = p[k] as [number, number];
      return b0 + ((v - a0) / (a1 - a0)) * (b1 - b0);
    }
    case 'map': {
      const v = evalExpr(e.x, st);
      if (v === null) return e.mapMissingTo;
      for (const [from, to] of e.pairs) if (from === v) return to;
      return e.def;
    }
  }
}

/** 1 TRUE, 0 FALSE, -1 UNKNOWN. */
export function evalPred(p: Pred, st: PmmlState): number {
  switch (p.p) {
    case 'true':
      return 1;
    case 'false':
      return 0;
    case 'cmp': {
      const v = evalExpr(p.x, st);
      if (v === null) return -1;
      switch (p.cmp) {
        case 'eq': return v === p.v ? 1 : 0;
        case 'ne': return v !== p.v ? 1 : 0;
        case 'lt': return v < p.v ? 1 : 0;
        case 'le': return v <= p.v ? 1 : 0;
        case 'gt': return v > p.v ? 1 : 0;
        case 'ge': return v >= p.v ? 1 : 0;
      }
      return -1;
    }
    case 'missing': {
      const m = evalExpr(p.x, st) === null;
      return m !== p.neg ? 1 : 0;
    }
    case 'set': {
      const v = evalExpr(p.x, st);
      if (v === null) return -1;
      return p.vs.includes(v) !== p.neg ? 1 : 0;
    }
    case 'and': {
      // "CompoundPredicate": FALSE wins, then UNKNOWN
      let r = 1;
      for (const q of p.ps) {
        const v = evalPred(q, st);
        if (v === 0) return 0;
        if (v === -1) r = -1;
      }
      return r;
    }
    case 'or': {
      let r = 0;
      for (const q of p.ps) {
        const v = evalPred(q, st);
        if (v === 1) return 1;
        if (v === -1) r = -1;
      }
      return r;
    }
    case 'xor': {
      let r = 0;
      for (const q of p.ps) {
        const v = evalPred(q, st);
        if (v === -1) return -1;
        r ^= v;
      }
      return r;
    }
    case 'surrogate': {
      // the first predicate that is not UNKNOWN
      for (const q of p.ps) {
        const v = evalPred(q, st);
        if (v !== -1) return v;
      }
      return -1;
    }
  }
}

export interface ScorecardResult {
  value: V;
  /** per characteristic: [reason index, points difference] of the selected attribute */
  diffs: [number, number][];
}

function assign(locals: readonly { slot: number; x: Expr }[], st: PmmlState): void {
  for (const a of locals) st.s[a.slot] = evalExpr(a.x, st);
}

/** PMML 4.4 "Scorecard": initialScore plus the partial score of the first TRUE attribute of each characteristic. */
export function evalScorecard(m: ScorecardIR, st: PmmlState): ScorecardResult {
  assign(m.locals, st);
  let total = m.initialScore;
  const diffs: [number, number][] = [];
  for (const c of m.chars) {
    let hit = false;
    for (const a of c.attrs) {
      if (evalPred(a.pred, st) !== 1) continue;
      const s = evalExpr(a.score, st);
      if (s === null) return { value: null, diffs: [] };
      total += s;
      const base = c.baseline ?? 0;
      const reason = a.reason ?? c.reason;
      if (reason !== null) diffs.push([reason, m.algorithm === 'pointsBelow' ? base - s : s - base]);
      hit = true;
      break;
    }
    if (!hit) return { value: null, diffs: [] };
  }
  return { value: total, diffs };
}

function regressionValue(m: RegressionIR, st: PmmlState): V {
  const ys: number[] = [];
  for (const t of m.tables) {
    let y = t.intercept;
    for (const p of t.num) {
      const v = evalExpr(p.x, st);
      if (v === null) return null;
      y += p.coef * (p.exp === 1 ? v : Math.pow(v, p.exp));
    }
    for (const p of t.cat) {
      const v = evalExpr(p.x, st);
      if (v === null) return null;
      if (v === p.v) y += p.coef;
    }
    ys.push(y);
  }
  const y0 = ys[0] as number;
  switch (m.norm) {
    case 'none': return y0;
    case 'logit': return 1 / (1 + Math.exp(-y0));
    case 'softmax': {
      if (ys.length === 1) return 1 / (1 + Math.exp(-y0));
      const mx = Math.max(...ys);
      let s = 0;
      for (const y of ys) s += Math.exp(y - mx);
      return Math.exp(y0 - mx) / s;
    }
    case 'exp': return Math.exp(y0);
    case 'cloglog': return 1 - Math.exp(-Math.exp(y0));
    case 'loglog': return Math.exp(-Math.exp(-y0));
    case 'cauchit': return 0.5 + Math.atan(y0) / Math.PI;
  }
}

/** PMML 4.4 "TreeModel": the first TRUE child is followed; UNKNOWN is handled by missingValueStrategy. */
function treeValue(m: TreeIR, st: PmmlState): V {
  const root = m.nodes[0] as TreeIR['nodes'][number];
  const r = evalPred(root.pred, st);
  if (r !== 1) return null;
  let node = root;
  for (;;) {
    if (node.kids.length === 0) return node.score;
    let next: TreeIR['nodes'][number] | null = null;
    for (const k of node.kids) {
      const kid = m.nodes[k] as TreeIR['nodes'][number];
      const v = evalPred(kid.pred, st);
      if (v === 1) {
        next = kid;
        break;
      }
      if (v === -1) {
        if (m.missing === 'lastPrediction') return node.score;
        if (m.missing === 'nullPrediction') return null;
        if (m.missing === 'defaultChild') {
          next = m.nodes[node.dflt] as TreeIR['nodes'][number];
          break;
        }
        // none: UNKNOWN counts as FALSE
      }
    }
    if (!next) return m.noTrue === 'returnLastPrediction' ? node.score : null;
    node = next;
  }
}

function miningValue(m: MiningIR, st: PmmlState): V {
  let acc = 0;
  let wsum = 0;
  let n = 0;
  let last: V = null;
  const votes = new Map<number, number>();
  for (const s of m.segs) {
    if (evalPred(s.pred, st) !== 1) continue;
    const v = modelValue(s.model, st);
    if (m.method === 'modelChain') {
      if (s.out >= 0) st.s[s.out] = v;
      last = v;
      continue;
    }
    if (v === null) return null;
    n++;
    if (m.method === 'majorityVote') votes.set(v, (votes.get(v) ?? 0) + 1);
    else if (m.method === 'weightedAverage') {
      acc += s.weight * v;
      wsum += s.weight;
    } else acc += v;
  }
  switch (m.method) {
    case 'modelChain': return last;
    case 'sum': return n === 0 ? null : acc;
    case 'average': return n === 0 ? null : acc / n;
    case 'weightedAverage': return wsum === 0 ? null : acc / wsum;
    case 'majorityVote': {
      let best: V = null;
      let most = 0;
      for (const [v, c] of votes) if (c > most) [best, most] = [v, c];
      return best;
    }
  }
}

export function modelValue(m: PmmlModelIR, st: PmmlState): V {
  switch (m.kind) {
    case 'scorecard':
      return evalScorecard(m, st).value;
    case 'regression':
      assign(m.locals, st);
      return regressionValue(m, st);
    case 'tree':
      assign(m.locals, st);
      return treeValue(m, st);
    case 'mining':
      assign(m.locals, st);
      return miningValue(m, st);
  }
}

/** A fresh state for a row (inputs in `ir.inputs` order) with the prelude evaluated. */
export function pmmlState(ir: FormatIR, x: readonly V[]): PmmlState {
  const st: PmmlState = { x, s: new Array<V>(ir.slots).fill(null) };
  assign(ir.prelude, st);
  return st;
}
