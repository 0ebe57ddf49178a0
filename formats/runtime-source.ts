// The runtime of compiled modules, as JavaScript source. It is a port of xgb-eval.ts,
// pmml-eval.ts, scaling.ts and reasons.ts (topReasons), and TreeSHAP per leaf by
// quadrature (the values of treeshap.ts without its tables), written to the
// platform's rules for model code: function declarations only, no classes, no try, no
// typed arrays, Map or Set, only Math/Number/Array/isFinite as globals, and never a write
// to a top-level binding or object (the platform freezes them). The tests hold the two
// versions to the same answers.

/** Reading a row and ranking reasons (every module). */
export const COMMON_SOURCE = `
function zeros(n) {
  return filled(n, 0);
}

// Working arrays, only indexed: without a prototype, since with the shared prototypes
// frozen (the hardened context) every element store into an array that has them takes the
// engine's slow path (measured: 8x a store; TreeSHAP about 4x slower).
function filled(n, v) {
  const a = [];
  for (let i = 0; i < n; i++) a.push(v);
  Object.setPrototypeOf(a, null);
  return a;
}

function value(v) {
  return typeof v === 'number' && isFinite(v) ? v : null;
}

function scaleScore(raw) {
  if (raw === null || raw !== raw) return null;
  const link = SCALE[0] === 1 ? Math.log(raw / (1 - raw)) : raw;
  const s = SCALE[1] + SCALE[2] * link;
  if (s !== s) return null;
  const min = SCALE[3], max = SCALE[4], step = SCALE[5];
  const k = Math.round((s - min) / step);
  return Math.min(max, Math.max(min, min + (isFinite(k) ? k : s > 0 ? Infinity : -Infinity) * step));
}

function topReasons(adverse) {
  const order = [];
  for (let j = 0; j < adverse.length; j++) if (adverse[j] > 0) order.push(j);
  order.sort(function (a, b) { return adverse[b] - adverse[a] || a - b; });
  const out = [];
  for (let i = 0; i < order.length && i < K; i++) out.push(CODES[order[i]]);
  return out;
}
`;

/**
 * XGBoost rows: float32-rounded features, NaN for missing (compile-xgb.ts writes the
 * trees as code over them).
 */
export const XGB_ROW_SOURCE = `
function feature(v) {
  return typeof v === 'number' && isFinite(v) ? Math.fround(v) : NaN;
}
`;

/**
 * The helper of \`scoreBatch\` (aggregates): where each input is among the task's columns
 * (-1: not given, so missing).
 */
export const BATCH_SOURCE = `
function columnsOf(names) {
  const col = [];
  for (let i = 0; i < INPUTS.length; i++) col.push(names.indexOf(INPUTS[i]));
  return col;
}
`;

/** \`scoreBatch\` of the PMML models: each row read from the buffer as \`readRow\` reads it, then \`rawOutput\`. */
export const GENERIC_BATCH_SOURCE = `
export function scoreBatch(x, names, n, out) {
  const k = INPUTS.length, stride = names.length;
  const col = columnsOf(names);
  // one row, every entry written again before each row is scored: compiled code only reads it
  const row = [];
  for (let j = 0; j < k; j++) row.push(null);
  Object.setPrototypeOf(row, null); // as filled(): stores stay fast in the hardened context
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) row[j] = col[j] < 0 ? null : value(x[i * stride + col[j]]);
    out[i] = batchOutput(rawOutput(row));
  }
}
`;

/** Modules that give no reasons (aggregates). */
export const NO_REASONS_SOURCE = `
function reasonsOf(x) {
  return [];
}
`;

/**
 * XGBoost reasons: exact TreeSHAP (Lundberg, Erion, Lee 2018) over the trees as data
 * (MODEL), on the same rows as scoring (float32 features, NaN for missing).
 */
export const XGB_SHAP_SOURCE = `
// TreeSHAP per leaf (the values of Algorithm 2, Lundberg, Erion, Lee 2018): for a leaf
// of value v whose path splits on the distinct features F (m of them), z_j the product of
// the cover ratios of the splits on j, o_j = 1 if the row follows them all, O = {j: o_j = 1},
// c = prod_{j not in O} z_j, and the Shapley weights k! (m-k-1)! / m! written as the
// integral over s in [0, 1] of s^k (1-s)^(m-k-1) (as Linear TreeShap, Yu et al. 2022):
//   j not in O: phi_j -= v c I,  I   = int (1-s)^(m-1-|O|) prod_{l in O} (s + z_l (1-s)) ds
//   j in O:     phi_j += v (1 - z_j) c I_j,  I_j = int (1-s)^(m-|O|) prod_{l in O, l != j} (s + z_l (1-s)) ds
// The integrands are polynomials of degree m-1, so Gauss-Legendre with ceil(m/2) points is
// exact. The products leaving one factor out are prefix times suffix products: no division.
function leafShap(phi, v, st) {
  // branch-free on o_j (0 or 1): the row decides o, so branches on it would mispredict,
  // and the work is the same for every row
  const m = st.m, zs = st.z, os = st.o, fs = st.f, acc = st.acc, pre = st.pre, fac = st.fac;
  const gq = GAUSS[(m + 1) >> 1], xs = gq[0], ws = gq[1], n = xs.length;
  let ones = 0, c = 1;
  for (let j = 0; j < m; j++) {
    const o = os[j];
    ones += o;
    c *= 1 + (1 - o) * (zs[j] - 1);
    acc[j] = 0;
  }
  // e = -1 (every feature followed) leaves I unused: every o_j is 1
  const e = m - 1 - ones;
  let all = 0;
  for (let g = 0; g < n; g++) {
    const s = xs[g], u = 1 - s;
    let w = ws[g];
    for (let k = 0; k < e; k++) w *= u;
    // w = ws u^max(e, 0); the I_j carry one power of u more than I
    let p = e < 0 ? w : w * u;
    let q = w;
    for (let j = 0; j < m; j++) {
      const t = 1 + os[j] * (s + zs[j] * u - 1);
      fac[j] = t;
      pre[j] = p;
      p *= t;
      q *= t;
    }
    all += q;
    let r = 1;
    for (let j = m - 1; j >= 0; j--) {
      acc[j] += pre[j] * r;
      r *= fac[j];
    }
  }
  const vc = v * c;
  for (let j = 0; j < m; j++) {
    const z = zs[j], o = os[j];
    phi[fs[j]] += vc * (o * (1 - z) * acc[j] - (1 - o) * all);
  }
}

// t.pos[node]: where the node's feature is among the distinct features of the path above
// it (the path's count when it is new), fixed by the tree's structure.
function shapNode(t, x, phi, st, node) {
  const l = t.left[node];
  if (l === -1) { if (st.m > 0) leafShap(phi, t.value[node], st); return; }
  const f = t.feature[node];
  const r = t.right[node];
  const v = x[f];
  const hot = (v === v ? v < t.value[node] : t.defaultLeft[node] === 1) ? l : r;
  const cover = t.cover[node];
  const p = t.pos[node];
  for (let side = 0; side < 2; side++) {
    const child = side === 0 ? l : r;
    const ratio = t.cover[child] / cover;
    const follows = child === hot ? 1 : 0;
    if (p === st.m) {
      st.f[p] = f; st.z[p] = ratio; st.o[p] = follows; st.m++;
      shapNode(t, x, phi, st, child);
      st.m--;
    } else {
      const z0 = st.z[p], o0 = st.o[p];
      st.z[p] = z0 * ratio; st.o[p] = o0 & follows;
      shapNode(t, x, phi, st, child);
      st.z[p] = z0; st.o[p] = o0;
    }
  }
}

// Linear TreeSHAP (Yu, Bhattacharya, Zhang 2022) at the Gauss points: with
// q_l(s) = z_l (1-s) + o_l s for each distinct feature l of a leaf's path, the leaf adds to
// phi_j  v (o_j - z_j) int prod_{l != j} q_l(s) ds  (the two cases above in one). Top-down,
// P is the product of the path's q (a repeated feature's q replaced by the combined one);
// bottom-up, H sums v times the factors below; an edge from a split on j adds
// sum_g W_g P H_child (a - a_prev q / q_prev) / q_prev (a = o - z; for a new feature
// q_prev = 1, a_prev = 0). O(nodes x points) per tree; used for trees whose covers are all
// positive (fixed by the structure), the leaf-by-leaf form otherwise.
// shapLinear(t, x, phi, st, node, d) is written out by compile-xgb.ts for the model's points.

function contributions(x) {
  const phi = zeros(x.length);
  const st = {
    m: 0, f: zeros(PATH), z: zeros(PATH), o: zeros(PATH), acc: zeros(PATH), pre: zeros(PATH), fac: zeros(PATH),
    P: filled((PATH + 1) * NG, 1), H: zeros((PATH + 1) * NG), on: zeros(x.length), z1: filled(x.length, 1), o1: filled(x.length, 1),
  };
  const lin = { P: st.P, H: st.H, on: st.on, z: st.z1, o: st.o1 };
  const trees = MODEL.trees;
  for (let k = 0; k < trees.length; k++) {
    const t = trees[k];
    if (t.lin === 1) shapLinear(t, x, phi, lin, 0, 0);
    else shapNode(t, x, phi, st, 0);
  }
  return phi;
}

function reasonsOf(x) {
  const phi = contributions(x);
  const adverse = zeros(CODES.length);
  for (let i = 0; i < phi.length; i++) if (BYKEY[i] >= 0) adverse[BYKEY[i]] -= SIGN * phi[i];
  return topReasons(adverse);
}
`;

/** PMML: expressions, three-valued predicates and the four model kinds (pmml-eval.ts). */
export const PMML_SOURCE = `
function fnValue(name, a) {
  if (name === 'isMissing') return a[0] === null ? 1 : 0;
  if (name === 'isNotMissing') return a[0] === null ? 0 : 1;
  for (let i = 0; i < a.length; i++) if (a[i] === null) return null;
  const x = a[0], y = a[1];
  let s = 0;
  switch (name) {
    case '+': return x + y;
    case '-': return x - y;
    case '*': return x * y;
    case '/': return y === 0 ? null : x / y;
    case 'min': return Math.min.apply(null, a);
    case 'max': return Math.max.apply(null, a);
    case 'sum': for (let i = 0; i < a.length; i++) s += a[i]; return s;
    case 'avg': for (let i = 0; i < a.length; i++) s += a[i]; return s / a.length;
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
    case 'and': for (let i = 0; i < a.length; i++) if (a[i] === 0) return 0; return 1;
    case 'or': for (let i = 0; i < a.length; i++) if (a[i] !== 0) return 1; return 0;
    case 'not': return x === 0 ? 1 : 0;
  }
  return null;
}

function ev(e, st) {
  switch (e.op) {
    case 'in': {
      const v = st.x[e.i];
      if (v === null) return e.rep;
      return e.f32 ? Math.fround(v) : v;
    }
    case 'slot': return st.s[e.i];
    case 'const': return e.v;
    case 'fn': {
      let r;
      if (e.fn === 'if') {
        const c = ev(e.args[0], st);
        r = c === null ? null : ev(e.args[c !== 0 ? 1 : 2], st);
      } else {
        const a = [];
        for (let i = 0; i < e.args.length; i++) a.push(ev(e.args[i], st));
        r = fnValue(e.fn, a);
        if (r !== null && !isFinite(r)) r = null;
      }
      return r === null ? e.mapMissingTo : r;
    }
    case 'disc': {
      const v = ev(e.x, st);
      if (v === null) return e.mapMissingTo;
      for (let i = 0; i < e.bins.length; i++) {
        const b = e.bins[i];
        const okL = b.l === null || (b.c === 'co' || b.c === 'cc' ? v >= b.l : v > b.l);
        const okR = b.r === null || (b.c === 'oc' || b.c === 'cc' ? v <= b.r : v < b.r);
        if (okL && okR) return b.v;
      }
      return e.def;
    }
    case 'norm': {
      const v = ev(e.x, st);
      if (v === null) return e.mapMissingTo;
      const p = e.pts, first = p[0], last = p[p.length - 1];
      if (v < first[0] || v > last[0]) {
        if (e.outliers === 'asMissingValues') return null;
        if (e.outliers === 'asExtremeValues') return v < first[0] ? first[1] : last[1];
      }
      let k = 1;
      while (k < p.length - 1 && v > p[k][0]) k++;
      const a = p[k - 1], b = p[k];
      return a[1] + ((v - a[0]) / (b[0] - a[0])) * (b[1] - a[1]);
    }
    case 'map': {
      const v = ev(e.x, st);
      if (v === null) return e.mapMissingTo;
      for (let i = 0; i < e.pairs.length; i++) if (e.pairs[i][0] === v) return e.pairs[i][1];
      return e.def;
    }
  }
  return null;
}

function pred(p, st) {
  switch (p.p) {
    case 'true': return 1;
    case 'false': return 0;
    case 'cmp': {
      const v = ev(p.x, st);
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
    case 'missing': return (ev(p.x, st) === null) !== p.neg ? 1 : 0;
    case 'set': {
      const v = ev(p.x, st);
      if (v === null) return -1;
      return (p.vs.indexOf(v) >= 0) !== p.neg ? 1 : 0;
    }
    case 'and': {
      let r = 1;
      for (let i = 0; i < p.ps.length; i++) { const v = pred(p.ps[i], st); if (v === 0) return 0; if (v === -1) r = -1; }
      return r;
    }
    case 'or': {
      let r = 0;
      for (let i = 0; i < p.ps.length; i++) { const v = pred(p.ps[i], st); if (v === 1) return 1; if (v === -1) r = -1; }
      return r;
    }
    case 'xor': {
      let r = 0;
      for (let i = 0; i < p.ps.length; i++) { const v = pred(p.ps[i], st); if (v === -1) return -1; r = r ^ v; }
      return r;
    }
    case 'surrogate': {
      for (let i = 0; i < p.ps.length; i++) { const v = pred(p.ps[i], st); if (v !== -1) return v; }
      return -1;
    }
  }
  return -1;
}

function assignAll(locals, st) {
  for (let i = 0; i < locals.length; i++) st.s[locals[i].slot] = ev(locals[i].x, st);
}

function scorecard(m, st, diffs) {
  assignAll(m.locals, st);
  let total = m.initialScore;
  for (let c = 0; c < m.chars.length; c++) {
    const ch = m.chars[c];
    let hit = false;
    for (let j = 0; j < ch.attrs.length; j++) {
      const a = ch.attrs[j];
      if (pred(a.pred, st) !== 1) continue;
      const s = ev(a.score, st);
      if (s === null) return null;
      total += s;
      const base = ch.baseline === null ? 0 : ch.baseline;
      const reason = a.reason !== null ? a.reason : ch.reason;
      if (reason !== null && diffs !== null) diffs.push([reason, m.algorithm === 'pointsBelow' ? base - s : s - base]);
      hit = true;
      break;
    }
    if (!hit) return null;
  }
  return total;
}

function regression(m, st) {
  assignAll(m.locals, st);
  const ys = [];
  for (let t = 0; t < m.tables.length; t++) {
    const tb = m.tables[t];
    let y = tb.intercept;
    for (let i = 0; i < tb.num.length; i++) {
      const p = tb.num[i];
      const v = ev(p.x, st);
      if (v === null) return null;
      y += p.coef * (p.exp === 1 ? v : Math.pow(v, p.exp));
    }
    for (let i = 0; i < tb.cat.length; i++) {
      const p = tb.cat[i];
      const v = ev(p.x, st);
      if (v === null) return null;
      if (v === p.v) y += p.coef;
    }
    ys.push(y);
  }
  const y0 = ys[0];
  switch (m.norm) {
    case 'none': return y0;
    case 'logit': return 1 / (1 + Math.exp(-y0));
    case 'softmax': {
      if (ys.length === 1) return 1 / (1 + Math.exp(-y0));
      const mx = Math.max.apply(null, ys);
      let s = 0;
      for (let i = 0; i < ys.length; i++) s += Math.exp(ys[i] - mx);
      return Math.exp(y0 - mx) / s;
    }
    case 'exp': return Math.exp(y0);
    case 'cloglog': return 1 - Math.exp(-Math.exp(y0));
    case 'loglog': return Math.exp(-Math.exp(-y0));
    case 'cauchit': return 0.5 + Math.atan(y0) / Math.PI;
  }
  return null;
}

function tree(m, st) {
  assignAll(m.locals, st);
  let node = m.nodes[0];
  if (pred(node.pred, st) !== 1) return null;
  for (;;) {
    if (node.kids.length === 0) return node.score;
    let next = null;
    for (let i = 0; i < node.kids.length; i++) {
      const kid = m.nodes[node.kids[i]];
      const v = pred(kid.pred, st);
      if (v === 1) { next = kid; break; }
      if (v === -1) {
        if (m.missing === 'lastPrediction') return node.score;
        if (m.missing === 'nullPrediction') return null;
        if (m.missing === 'defaultChild') { next = m.nodes[node.dflt]; break; }
      }
    }
    if (next === null) return m.noTrue === 'returnLastPrediction' ? node.score : null;
    node = next;
  }
}

function mining(m, st) {
  assignAll(m.locals, st);
  let acc = 0, wsum = 0, n = 0, last = null;
  const vals = [], counts = [];
  for (let i = 0; i < m.segs.length; i++) {
    const s = m.segs[i];
    if (pred(s.pred, st) !== 1) continue;
    const v = modelValue(s.model, st);
    if (m.method === 'modelChain') {
      if (s.out >= 0) st.s[s.out] = v;
      last = v;
      continue;
    }
    if (v === null) return null;
    n++;
    if (m.method === 'majorityVote') {
      const at = vals.indexOf(v);
      if (at < 0) { vals.push(v); counts.push(1); } else counts[at]++;
    } else if (m.method === 'weightedAverage') { acc += s.weight * v; wsum += s.weight; }
    else acc += v;
  }
  switch (m.method) {
    case 'modelChain': return last;
    case 'sum': return n === 0 ? null : acc;
    case 'average': return n === 0 ? null : acc / n;
    case 'weightedAverage': return wsum === 0 ? null : acc / wsum;
    case 'majorityVote': {
      let best = null, most = 0;
      for (let i = 0; i < vals.length; i++) if (counts[i] > most) { best = vals[i]; most = counts[i]; }
      return best;
    }
  }
  return null;
}

function modelValue(m, st) {
  switch (m.kind) {
    case 'scorecard': return scorecard(m, st, null);
    case 'regression': return regression(m, st);
    case 'tree': return tree(m, st);
    case 'mining': return mining(m, st);
  }
  return null;
}

function state(x) {
  const st = { x: x, s: filled(SLOTS, null) };
  assignAll(PRELUDE, st);
  return st;
}


function reasonsOf(x) {
  if (K === 0) return [];
  const adverse = zeros(CODES.length);
  if (MODEL.kind === 'scorecard') {
    if (!MODEL.useReasonCodes) return [];
    const diffs = [];
    if (topScorecard(x, state(x), diffs) === null) return [];
    for (let i = 0; i < diffs.length; i++) { const j = BYKEY[diffs[i][0]]; if (j >= 0) adverse[j] += diffs[i][1]; }
    return topReasons(adverse);
  }
  if (MODEL.kind !== 'regression' || rawOutput(x) === null) return [];
  const st = state(x);
  const tb = MODEL.tables[0];
  const c = zeros(x.length);
  for (let i = 0; i < tb.num.length; i++) {
    const p = tb.num[i];
    if (p.input < 0) continue;
    const v = ev(p.x, st);
    if (v === null) continue;
    c[p.input] += p.coef * (Math.pow(v, p.exp) - Math.pow(BASELINE[p.input], p.exp));
  }
  for (let i = 0; i < tb.cat.length; i++) {
    const p = tb.cat[i];
    if (p.input < 0) continue;
    const v = ev(p.x, st);
    if (v === null) continue;
    c[p.input] += p.coef * ((v === p.v ? 1 : 0) - (BASELINE[p.input] === p.v ? 1 : 0));
  }
  for (let i = 0; i < c.length; i++) if (BYKEY[i] >= 0) adverse[BYKEY[i]] -= SIGN * c[i];
  return topReasons(adverse);
}
`;
