// A PMML scorecard as code: each characteristic becomes a chain of `if` statements over
// its attributes, in document order, with the common predicates (comparisons with a
// number, isMissing, True, False) and expressions (an input field, a constant, a derived
// field's slot) written inline and the points and baselines as exact literals. Anything
// else (compound predicates, sets, function calls, discretisation...) is handed to the
// interpreter of runtime-source.ts on its IR, kept as a top-level literal: the generated
// code gives what pmml-eval.ts gives in every case, the common ones without dispatch.
//
// Timing: as the interpreter's, the attributes of each characteristic are tried in order
// until the first that holds (PMML's semantics); nothing else depends on a row's values.
import { formatError } from './errors.js';
import type { Expr, Pred, ScorecardIR } from './ir.js';

function bad(where: string): never {
  throw formatError('FORMAT_MALFORMED', { detail: `compile:${where}` });
}

const CMP: Record<string, string> = { eq: 'cmpEq', ne: 'cmpNe', lt: 'cmpLt', le: 'cmpLe', gt: 'cmpGt', ge: 'cmpGe' };

/** The helpers the generated code calls (three-valued comparisons: -1 when missing). */
export const SCORECARD_HELPERS = `
function cmpEq(v, c) { return v === null ? -1 : v === c ? 1 : 0; }
function cmpNe(v, c) { return v === null ? -1 : v !== c ? 1 : 0; }
function cmpLt(v, c) { return v === null ? -1 : v < c ? 1 : 0; }
function cmpLe(v, c) { return v === null ? -1 : v <= c ? 1 : 0; }
function cmpGt(v, c) { return v === null ? -1 : v > c ? 1 : 0; }
function cmpGe(v, c) { return v === null ? -1 : v >= c ? 1 : 0; }
`;

export interface ScorecardCode {
  /** `function topScorecard(x, st, diffs)`: scorecard(MODEL, st, diffs) of the interpreter (x = st.x). */
  source: string;
  /** Whether the code reads the state (slots, locals, the interpreter): else `st` may be null. */
  usesState: boolean;
  /** Top-level constants the code hands to the interpreter: [name, IR]. */
  fallbacks: [string, Expr | Pred][];
}

/**
 * Compiles a top-level scorecard. `num` writes exact literals; `inputs` is the number of
 * inputs, `slots` of slots (indices are checked against them).
 */
export function scorecardSource(m: ScorecardIR, inputs: number, slots: number, num: (n: number) => string): ScorecardCode {
  const fallbacks: [string, Expr | Pred][] = [];
  let usesState = m.locals.length > 0;
  const index = (i: unknown, n: number): number => {
    if (!Number.isInteger(i) || (i as number) < 0 || (i as number) >= n) bad('index');
    return i as number;
  };
  const opt = (v: number | null): string => (v === null ? 'null' : num(v));
  const expr = (e: Expr): string => {
    switch (e.op) {
      case 'in': {
        const x = `x[${index(e.i, inputs)}]`;
        const v = e.f32 ? `Math.fround(${x})` : x;
        return e.rep === null && !e.f32 ? x : `(${x} === null ? ${opt(e.rep)} : ${v})`;
      }
      case 'const':
        return opt(e.v);
      case 'slot':
        usesState = true;
        return `st.s[${index(e.i, slots)}]`;
      default: {
        const name = `XF${fallbacks.length}`;
        fallbacks.push([name, e]);
        return `ev(${name}, st)`;
      }
    }
  };
  const pred = (p: Pred): string => {
    switch (p.p) {
      case 'true':
        return '1';
      case 'false':
        return '0';
      case 'cmp': {
        const fn = CMP[p.cmp];
        if (fn === undefined || !Object.hasOwn(CMP, p.cmp)) bad('cmp');
        return `${fn}(${expr(p.x)}, ${num(p.v)})`;
      }
      case 'missing':
        return `(${expr(p.x)} === null ? ${p.neg ? '0' : '1'} : ${p.neg ? '1' : '0'})`;
      default: {
        const name = `XF${fallbacks.length}`;
        fallbacks.push([name, p]);
        return `pred(${name}, st)`;
      }
    }
  };
  const lines: string[] = ['function topScorecard(x, st, diffs) {'];
  if (m.locals.length > 0) lines.push('  assignAll(MODEL.locals, st);');
  lines.push(`  let total = ${num(m.initialScore)};`, '  let s = 0;');
  const below = m.algorithm === 'pointsBelow';
  if (!below && m.algorithm !== 'pointsAbove') bad('algorithm');
  for (const ch of m.chars) {
    const base = num(ch.baseline === null ? 0 : ch.baseline);
    ch.attrs.forEach((a, j) => {
      const reason = a.reason !== null ? a.reason : ch.reason;
      lines.push(`  ${j === 0 ? '' : 'else '}if (${pred(a.pred)} === 1) {`);
      lines.push(`    s = ${expr(a.score)};`);
      if (!(a.score.op === 'const' && a.score.v !== null)) lines.push('    if (s === null) return null;');
      lines.push('    total += s;');
      if (reason !== null) lines.push(`    if (diffs !== null) diffs.push([${num(index(reason, Number.MAX_SAFE_INTEGER))}, ${below ? `${base} - s` : `s - ${base}`}]);`);
      lines.push('  }');
    });
    lines.push(ch.attrs.length === 0 ? '  return null;' : '  else return null;');
  }
  lines.push('  return total;', '}');
  return { source: lines.join('\n') + '\n', fallbacks, usesState: usesState || fallbacks.length > 0 };
}
