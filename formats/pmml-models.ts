// PMML 4.4 models to IR: Scorecard, RegressionModel, TreeModel (regression trees) and
// MiningModel with Segmentation. Each model gets its own scope: the names its parent sees,
// its MiningSchema's fields (with missingValueReplacement) and its LocalTransformations.
import { formatError } from './errors.js';
import type { Assign, Expr, MiningIR, PmmlModelIR, RegressionIR, ScorecardIR, TreeIR } from './ir.js';
import { safeName } from './input.js';
import { LIMITS } from './limits.js';
import { elements, malformed, num, oneOf, optNum, type PmmlContext, type Scope, unsupported, valueOf } from './pmml-context.js';
import { isPredicate, parseDerived, parseExpr, parsePred } from './pmml-expr.js';
import type { XNode } from './xml.js';

export const MODEL_ELEMENTS = new Set(['Scorecard', 'RegressionModel', 'TreeModel', 'MiningModel']);
/** Elements of a model that carry nothing for scoring and are skipped. */
const IGNORED = new Set(['Extension', 'ModelStats', 'ModelExplanation', 'ModelVerification', 'Output']);

interface Prepared {
  scope: Scope;
  locals: Assign[];
  body: XNode[];
}

/** PMML 4.4 "MiningSchema": which fields the model reads, and their missingValueReplacement. */
function prepare(ctx: PmmlContext, parent: Scope, n: XNode): Prepared {
  const scope: Scope = new Map(parent);
  const kids = elements(n);
  const schema = kids.find((k) => k.name === 'MiningSchema');
  if (!schema) malformed(`${n.name}/MiningSchema`);
  for (const f of elements(schema)) {
    if (f.name !== 'MiningField') unsupported(f.name);
    const name = f.attrs.name;
    const usage = oneOf(f, 'usageType', ['active', 'target', 'predicted', 'supplementary', 'group', 'order', 'frequencyWeight', 'analysisWeight'] as const);
    if (usage !== 'active') continue;
    const ref = name === undefined ? undefined : parent.get(name);
    if (!ref) throw formatError('FORMAT_FIELD_UNKNOWN', { detail: safeName(name) });
    if (ref.kind === 'data') {
      ctx.input(ref.name);
      const rep = f.attrs.missingValueReplacement;
      scope.set(ref.name, { kind: 'data', name: ref.name, rep: rep === undefined ? ref.rep : valueOf(ctx, parent, name, rep, 'MiningField@missingValueReplacement') });
    }
    if (f.attrs.outliers !== undefined && f.attrs.outliers !== 'asIs') unsupported('MiningField@outliers');
  }
  const lt = kids.find((k) => k.name === 'LocalTransformations');
  const locals = lt ? parseDerived(ctx, scope, lt) : [];
  if (kids.some((k) => k.name === 'Targets')) unsupported('Targets');
  const body = kids.filter((k) => k.name !== 'MiningSchema' && k.name !== 'LocalTransformations' && !IGNORED.has(k.name));
  return { scope, locals, body };
}

export function parseModel(ctx: PmmlContext, parent: Scope, n: XNode): PmmlModelIR {
  if (n.attrs.isScorable === 'false') unsupported(`${n.name}@isScorable`);
  switch (n.name) {
    case 'Scorecard':
      return scorecard(ctx, parent, n);
    case 'RegressionModel':
      return regression(ctx, parent, n);
    case 'TreeModel':
      return tree(ctx, parent, n);
    case 'MiningModel':
      return mining(ctx, parent, n);
    default:
      return unsupported(n.name);
  }
}

/** PMML 4.4 "Scorecard" (§ Scoring procedure, § Reason codes). */
function scorecard(ctx: PmmlContext, parent: Scope, n: XNode): ScorecardIR {
  const { scope, locals, body } = prepare(ctx, parent, n);
  const useReasonCodes = n.attrs.useReasonCodes !== 'false';
  const algorithm = oneOf(n, 'reasonCodeAlgorithm', ['pointsBelow', 'pointsAbove'] as const);
  const method = oneOf(n, 'baselineMethod', ['other', 'max', 'min', 'mean', 'neutral'] as const);
  const cardBaseline = optNum(n.attrs.baselineScore, 'Scorecard@baselineScore');
  const other = body.find((k) => k.name !== 'Characteristics');
  if (other) unsupported(other.name);
  const chars = body[0];
  if (!chars || body.length !== 1) malformed('Characteristics');
  const list = elements(chars);
  if (list.length > LIMITS.characteristics) throw formatError('FORMAT_LIMIT', { detail: `characteristics>${LIMITS.characteristics}` });
  const out: ScorecardIR['chars'] = list.map((c) => {
    if (c.name !== 'Characteristic') unsupported(c.name);
    const attrs = elements(c);
    if (attrs.length < 1) malformed('Characteristic');
    if (attrs.length > LIMITS.attributes) throw formatError('FORMAT_LIMIT', { detail: `attributes>${LIMITS.attributes}` });
    ctx.countNodes(attrs.length);
    const charReason = c.attrs.reasonCode;
    const parsed = attrs.map((a) => {
      if (a.name !== 'Attribute') unsupported(a.name);
      const kids = elements(a);
      const predNode = kids[0];
      if (!predNode || !isPredicate(predNode)) malformed('Attribute');
      const complex = kids.find((k) => k.name === 'ComplexPartialScore');
      let score: Expr;
      if (complex) {
        const e = elements(complex)[0];
        if (!e) malformed('ComplexPartialScore');
        score = parseExpr(ctx, scope, e);
      } else score = { op: 'const', v: num(a.attrs.partialScore, 'Attribute@partialScore') };
      const code = a.attrs.reasonCode ?? charReason;
      if (useReasonCodes && code === undefined) malformed('Attribute@reasonCode');
      return { pred: parsePred(ctx, scope, predNode), score, reason: code === undefined ? null : ctx.reasonIndex(code) };
    });
    let baseline = optNum(c.attrs.baselineScore, 'Characteristic@baselineScore') ?? cardBaseline;
    if (baseline === null && useReasonCodes) {
      // baselineMethod max/min: the characteristic's highest/lowest partial score
      const consts = parsed.map((p) => (p.score.op === 'const' ? p.score.v : null));
      if ((method === 'max' || method === 'min') && consts.every((v): v is number => v !== null)) baseline = method === 'max' ? Math.max(...consts) : Math.min(...consts);
      else malformed('Characteristic@baselineScore');
    }
    return { baseline, reason: charReason === undefined ? null : ctx.reasonIndex(charReason), attrs: parsed };
  });
  return { kind: 'scorecard', locals, initialScore: optNum(n.attrs.initialScore, 'Scorecard@initialScore') ?? 0, useReasonCodes, algorithm, chars: out };
}

/** PMML 4.4 "RegressionModel" (§ Scoring procedure: normalizationMethod). */
function regression(ctx: PmmlContext, parent: Scope, n: XNode): RegressionIR {
  const { scope, locals, body } = prepare(ctx, parent, n);
  const fn = oneOf(n, 'functionName', ['regression', 'classification'] as const);
  const norm = oneOf(n, 'normalizationMethod', ['none', 'logit', 'softmax', 'exp', 'cloglog', 'loglog', 'cauchit'] as const);
  if (n.attrs.functionName === undefined) malformed('RegressionModel@functionName');
  const tables = body.map((t) => {
    if (t.name !== 'RegressionTable') unsupported(t.name);
    const num_: RegressionIR['tables'][number]['num'] = [];
    const cat: RegressionIR['tables'][number]['cat'] = [];
    for (const p of elements(t)) {
      const name = p.attrs.name;
      const x = ctx.read(scope, name, p.name);
      const input = x.op === 'in' ? x.i : -1;
      if (p.name === 'NumericPredictor') {
        const exp = optNum(p.attrs.exponent, 'NumericPredictor@exponent') ?? 1;
        if (!Number.isInteger(exp)) malformed('NumericPredictor@exponent');
        num_.push({ x, exp, coef: num(p.attrs.coefficient, 'NumericPredictor@coefficient'), input });
      } else if (p.name === 'CategoricalPredictor') {
        cat.push({ x, v: valueOf(ctx, scope, name, p.attrs.value, 'CategoricalPredictor@value'), coef: num(p.attrs.coefficient, 'CategoricalPredictor@coefficient'), input });
      } else unsupported(p.name);
    }
    ctx.countNodes(num_.length + cat.length + 1);
    return { intercept: optNum(t.attrs.intercept, 'RegressionTable@intercept') ?? 0, num: num_, cat };
  });
  if (tables.length < 1 || (fn === 'regression' && tables.length !== 1)) malformed('RegressionTable');
  return { kind: 'regression', locals, classification: fn === 'classification', norm, tables };
}

/** PMML 4.4 "TreeModel": regression trees, missingValueStrategy and noTrueChildStrategy. */
function tree(ctx: PmmlContext, parent: Scope, n: XNode): TreeIR {
  const { scope, locals, body } = prepare(ctx, parent, n);
  ctx.countTree();
  if (oneOf(n, 'functionName', ['regression', 'classification'] as const) !== 'regression') unsupported('TreeModel@functionName:classification');
  const missing = oneOf(n, 'missingValueStrategy', ['none', 'defaultChild', 'lastPrediction', 'nullPrediction'] as const);
  const noTrue = oneOf(n, 'noTrueChildStrategy', ['returnNullPrediction', 'returnLastPrediction'] as const);
  const roots = body.filter((k) => k.name === 'Node');
  const other = body.find((k) => k.name !== 'Node');
  if (other) unsupported(other.name);
  if (roots.length !== 1) malformed('TreeModel/Node');
  const nodes: TreeIR['nodes'] = [];
  const walk = (node: XNode, depth: number): number => {
    if (depth > LIMITS.depth) throw formatError('FORMAT_LIMIT', { detail: `depth>${LIMITS.depth}` });
    ctx.countNodes(1);
    const kids = elements(node);
    const predNode = kids[0];
    if (!predNode || !isPredicate(predNode)) malformed('Node');
    const self = nodes.push({ pred: parsePred(ctx, scope, predNode), score: optNum(node.attrs.score, 'Node@score'), kids: [], dflt: -1 }) - 1;
    const ids: (string | undefined)[] = [];
    const kidIdx: number[] = [];
    for (const k of kids.slice(1)) {
      if (k.name === 'ScoreDistribution') continue;
      if (k.name !== 'Node') unsupported(k.name);
      ids.push(k.attrs.id);
      kidIdx.push(walk(k, depth + 1));
    }
    const me = nodes[self] as TreeIR['nodes'][number];
    me.kids = kidIdx;
    const d = node.attrs.defaultChild;
    if (d !== undefined) {
      const at = ids.indexOf(d);
      if (at < 0) malformed('Node@defaultChild');
      me.dflt = kidIdx[at] as number;
    } else if (missing === 'defaultChild' && kidIdx.length > 0) malformed('Node@defaultChild');
    return self;
  };
  walk(roots[0] as XNode, 0);
  return { kind: 'tree', locals, missing, noTrue, nodes };
}

/** PMML 4.4 "MiningModel": Segmentation (sum, average, weightedAverage, majorityVote, modelChain). */
function mining(ctx: PmmlContext, parent: Scope, n: XNode): MiningIR {
  const { scope, locals, body } = prepare(ctx, parent, n);
  const seg = body.find((k) => k.name === 'Segmentation');
  const other = body.find((k) => k.name !== 'Segmentation');
  if (other) unsupported(other.name);
  if (!seg) malformed('Segmentation');
  const method = oneOf(seg, 'multipleModelMethod', ['sum', 'average', 'weightedAverage', 'majorityVote', 'modelChain'] as const);
  if (seg.attrs.multipleModelMethod === undefined) malformed('Segmentation@multipleModelMethod');
  const chainScope: Scope = new Map(scope);
  const segs: MiningIR['segs'] = elements(seg).map((s) => {
    if (s.name !== 'Segment') unsupported(s.name);
    const kids = elements(s);
    const predNode = kids[0];
    if (!predNode || !isPredicate(predNode)) malformed('Segment');
    const modelNode = kids[1];
    if (!modelNode || kids.length !== 2) malformed('Segment');
    if (!MODEL_ELEMENTS.has(modelNode.name)) unsupported(modelNode.name);
    const sc = method === 'modelChain' ? chainScope : scope;
    const pred = parsePred(ctx, sc, predNode);
    const model = parseModel(ctx, sc, modelNode);
    let out = -1;
    if (method === 'modelChain') out = bindOutputs(ctx, chainScope, modelNode, model);
    return { pred, weight: optNum(s.attrs.weight, 'Segment@weight') ?? 1, model, out };
  });
  if (segs.length < 1) malformed('Segment');
  return { kind: 'mining', locals, method, segs };
}

/** A chain segment's OutputFields: its predicted value (or the probability of its first category) under a name later segments read. */
function bindOutputs(ctx: PmmlContext, chain: Scope, modelNode: XNode, model: PmmlModelIR): number {
  const output = elements(modelNode).find((k) => k.name === 'Output');
  if (!output) return -1;
  let slot = -1;
  for (const f of elements(output)) {
    if (f.name !== 'OutputField') unsupported(f.name);
    const feature = f.attrs.feature ?? 'predictedValue';
    // the IR's value of a classification is the probability of its first table's category
    const first = elements(modelNode).find((k) => k.name === 'RegressionTable')?.attrs.targetCategory;
    const ok = feature === 'predictedValue' || (feature === 'probability' && model.kind === 'regression' && model.classification && f.attrs.value === first);
    if (!ok || elements(f).length > 0) {
      if (f.attrs.isFinalResult === 'true' || feature !== 'probability') unsupported(`OutputField@feature:${feature}`);
      continue; // a probability of another category nobody reads
    }
    if (slot < 0) slot = ctx.newSlot();
    if (f.attrs.name === undefined) malformed('OutputField@name');
    chain.set(f.attrs.name, { kind: 'slot', i: slot });
  }
  return slot;
}
