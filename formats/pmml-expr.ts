// PMML 4.4 "Transformations" (DerivedField, FieldRef, Constant, Apply, Discretize,
// NormContinuous, MapValues) and "Predicates" (SimplePredicate, CompoundPredicate,
// SimpleSetPredicate, True, False) to IR expressions.
import type { Assign, Bin, Expr, FnName, Pred } from './ir.js';
import { FN_NAMES } from './ir.js';
import { elements, malformed, num, oneOf, optNum, type PmmlContext, type Scope, unsupported, valueOf } from './pmml-context.js';
import type { XNode } from './xml.js';

const EXPRESSIONS = new Set(['FieldRef', 'Constant', 'Apply', 'Discretize', 'NormContinuous', 'MapValues']);

/** Arity of the built-in functions (PMML 4.4 "Built-in Functions"); -1: at least one. */
const ARITY: Record<FnName, number> = {
  '+': 2, '-': 2, '*': 2, '/': 2, min: -1, max: -1, sum: -1, avg: -1, log: 1, ln: 1, exp: 1, abs: 1, sqrt: 1, pow: 2,
  floor: 1, ceil: 1, round: 1, equal: 2, notEqual: 2, lessThan: 2, lessOrEqual: 2, greaterThan: 2, greaterOrEqual: 2,
  and: -1, or: -1, not: 1, if: 3, isMissing: 1, isNotMissing: 1,
};

export function isExpression(n: XNode): boolean {
  return EXPRESSIONS.has(n.name);
}

export function parseExpr(ctx: PmmlContext, scope: Scope, n: XNode): Expr {
  const mapMissingTo = optNum(n.attrs.mapMissingTo, `${n.name}@mapMissingTo`);
  switch (n.name) {
    case 'FieldRef': {
      const x = ctx.read(scope, n.attrs.field, 'FieldRef');
      return mapMissingTo === null ? x : { op: 'fn', fn: 'if', args: [{ op: 'fn', fn: 'isMissing', args: [x], mapMissingTo: null }, { op: 'const', v: mapMissingTo }, x], mapMissingTo: null };
    }
    case 'Constant':
      return { op: 'const', v: n.attrs.missing === 'true' ? null : num(n.text, 'Constant') };
    case 'Apply': {
      const fn = n.attrs.function as FnName;
      if (!(FN_NAMES as readonly string[]).includes(fn)) unsupported(`Apply@${n.attrs.function ?? ''}`);
      if (n.attrs.defaultValue !== undefined) unsupported('Apply@defaultValue');
      const args = elements(n).map((k) => parseExpr(ctx, scope, k));
      const arity = ARITY[fn];
      if (arity === -1 ? args.length < 1 : arity === 3 ? args.length < 2 || args.length > 3 : args.length !== arity) malformed(`Apply@${fn}`);
      if (fn === 'if' && args.length === 2) args.push({ op: 'const', v: null });
      return { op: 'fn', fn, args, mapMissingTo };
    }
    case 'Discretize': {
      const x = ctx.read(scope, n.attrs.field, 'Discretize');
      const bins: Bin[] = elements(n).map((b) => {
        if (b.name !== 'DiscretizeBin') unsupported(b.name);
        const iv = elements(b).find((k) => k.name === 'Interval');
        if (!iv) malformed('DiscretizeBin');
        const c = oneOf(iv, 'closure', ['openOpen', 'openClosed', 'closedOpen', 'closedClosed'] as const);
        return {
          l: optNum(iv.attrs.leftMargin, 'Interval@leftMargin'),
          r: optNum(iv.attrs.rightMargin, 'Interval@rightMargin'),
          c: ({ openOpen: 'oo', openClosed: 'oc', closedOpen: 'co', closedClosed: 'cc' } as const)[c],
          v: num(b.attrs.binValue, 'DiscretizeBin@binValue'),
        };
      });
      ctx.countNodes(bins.length);
      return { op: 'disc', x, bins, mapMissingTo, def: optNum(n.attrs.defaultValue, 'Discretize@defaultValue') };
    }
    case 'NormContinuous': {
      const x = ctx.read(scope, n.attrs.field, 'NormContinuous');
      const pts = elements(n).map((k): [number, number] => {
        if (k.name !== 'LinearNorm') unsupported(k.name);
        return [num(k.attrs.orig, 'LinearNorm@orig'), num(k.attrs.norm, 'LinearNorm@norm')];
      });
      if (pts.length < 2 || pts.some((p, i) => i > 0 && !(p[0] > (pts[i - 1] as [number, number])[0]))) malformed('LinearNorm');
      ctx.countNodes(pts.length);
      return { op: 'norm', x, pts, outliers: oneOf(n, 'outliers', ['asIs', 'asMissingValues', 'asExtremeValues'] as const), mapMissingTo };
    }
    case 'MapValues': {
      const pairs = elements(n).filter((k) => k.name === 'FieldColumnPair');
      const table = elements(n).find((k) => k.name === 'InlineTable');
      if (pairs.length !== 1 || !table) unsupported('MapValues');
      const pair = pairs[0] as XNode;
      const field = pair.attrs.field;
      const x = ctx.read(scope, field, 'MapValues');
      const col = pair.attrs.column;
      const out = n.attrs.outputColumn;
      const rows = elements(table).map((row): [number, number] => {
        if (row.name !== 'row') unsupported(row.name);
        const cell = (name: string | undefined) => row.kids.find((k) => k.name === name)?.text;
        return [valueOf(ctx, scope, field, cell(col), 'MapValues@row'), num(cell(out), 'MapValues@outputColumn')];
      });
      ctx.countNodes(rows.length);
      return { op: 'map', x, pairs: rows, mapMissingTo, def: optNum(n.attrs.defaultValue, 'MapValues@defaultValue') };
    }
    default:
      return unsupported(n.name);
  }
}

/** DerivedFields of a TransformationDictionary or LocalTransformations, in order; each gets a slot. */
export function parseDerived(ctx: PmmlContext, scope: Scope, n: XNode): Assign[] {
  const out: Assign[] = [];
  for (const d of elements(n)) {
    if (d.name !== 'DerivedField') unsupported(d.name);
    const body = elements(d).filter((k) => k.name !== 'Value');
    if (body.length !== 1) malformed('DerivedField');
    const x = parseExpr(ctx, scope, body[0] as XNode);
    const slot = ctx.newSlot();
    if (d.attrs.name === undefined || scope.has(d.attrs.name)) malformed('DerivedField@name');
    scope.set(d.attrs.name, { kind: 'slot', i: slot });
    out.push({ slot, x });
  }
  return out;
}

const PREDICATES = new Set(['True', 'False', 'SimplePredicate', 'CompoundPredicate', 'SimpleSetPredicate']);

export function isPredicate(n: XNode): boolean {
  return PREDICATES.has(n.name);
}

const CMP = { equal: 'eq', notEqual: 'ne', lessThan: 'lt', lessOrEqual: 'le', greaterThan: 'gt', greaterOrEqual: 'ge' } as const;

/** The tokens of a PMML Array (whitespace-separated, double quotes group). */
function arrayTokens(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] as string));
  return out;
}

export function parsePred(ctx: PmmlContext, scope: Scope, n: XNode): Pred {
  switch (n.name) {
    case 'True':
      return { p: 'true' };
    case 'False':
      return { p: 'false' };
    case 'SimplePredicate': {
      const x = ctx.read(scope, n.attrs.field, 'SimplePredicate');
      const op = n.attrs.operator;
      if (op === 'isMissing' || op === 'isNotMissing') return { p: 'missing', x, neg: op === 'isNotMissing' };
      if (op === undefined || !(op in CMP)) return unsupported(`SimplePredicate@${op ?? ''}`);
      return { p: 'cmp', x, cmp: CMP[op as keyof typeof CMP], v: valueOf(ctx, scope, n.attrs.field, n.attrs.value, 'SimplePredicate@value') };
    }
    case 'SimpleSetPredicate': {
      const x = ctx.read(scope, n.attrs.field, 'SimpleSetPredicate');
      const op = oneOf(n, 'booleanOperator', ['isIn', 'isNotIn'] as const);
      const arr = elements(n).find((k) => k.name === 'Array');
      if (!arr || n.attrs.booleanOperator === undefined) malformed('SimpleSetPredicate');
      const vs = arrayTokens(arr.text).map((t) => valueOf(ctx, scope, n.attrs.field, t, 'SimpleSetPredicate@Array'));
      ctx.countNodes(vs.length);
      return { p: 'set', x, vs, neg: op === 'isNotIn' };
    }
    case 'CompoundPredicate': {
      const op = n.attrs.booleanOperator;
      if (op !== 'and' && op !== 'or' && op !== 'xor' && op !== 'surrogate') return unsupported(`CompoundPredicate@${op ?? ''}`);
      const ps = elements(n).map((k) => parsePred(ctx, scope, k));
      if (ps.length < 2) malformed('CompoundPredicate');
      return { p: op, ps };
    }
    default:
      return unsupported(n.name);
  }
}
