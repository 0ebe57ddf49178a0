// Statistical disclosure control of released cells, after ACRO's output-checking rules
// (threshold 10, N-K dominance n=2 k=90%, p-ratio 10%, zeros disclosive) and the US Census
// DRB's rounding (counts to base 5 here; at most 4 significant figures). Checks run on the
// true values; only what passes is noised, rounded and released.
import type { Decision } from './decision.js';
import type { Policy } from './policy.schema.js';

export type Suppression = 'sdc:k-min' | 'sdc:zeros' | 'sdc:dominance' | 'sdc:p-ratio' | 'sdc:secondary';

export interface Cell {
  /** Merchants in the cell (true count). */
  count: number;
  /** Each merchant's contribution to a magnitude (for dominance and p-ratio), if any. */
  contributions?: Float64Array | number[];
}

/** The first primary rule a cell breaks, or null. */
export function primarySuppression(cell: Cell, d: Policy['disclosure']): Suppression | null {
  if (cell.count === 0) return d.zerosDisclosive ? 'sdc:zeros' : null;
  if (cell.count < d.kMin) return 'sdc:k-min';
  const c = cell.contributions;
  if (!c || c.length === 0) return null;
  let total = 0;
  let top1 = 0;
  let top2 = 0;
  for (let i = 0; i < c.length; i++) {
    const v = Math.max(0, c[i] as number);
    total += v;
    if (v > top1) {
      top2 = top1;
      top1 = v;
    } else if (v > top2) top2 = v;
  }
  if (total <= 0) return null;
  const topN = d.dominance.n >= 2 ? top1 + top2 : top1;
  // ACRO N-K dominance: the n largest make up at least k% of the total
  if (topN * 100 >= d.dominance.kPercent * total) return 'sdc:dominance';
  // p-percent rule: the rest, beyond the two largest, must be at least p% of the largest
  if ((total - top1 - top2) * 100 < d.pRatioPercent * top1) return 'sdc:p-ratio';
  return null;
}

/**
 * Primary suppression of every cell, then secondary: where a table's total is known, a
 * single suppressed cell could be recovered by subtraction, so the smallest other cell is
 * suppressed with it.
 */
export function suppressTable(cells: readonly Cell[], d: Policy['disclosure'], totalKnown: boolean): (Suppression | null)[] {
  const out = cells.map((c) => primarySuppression(c, d));
  const suppressed = out.filter((x) => x !== null).length;
  if (totalKnown && suppressed === 1 && cells.length > 1) {
    let best = -1;
    cells.forEach((c, i) => {
      if (out[i] === null && (best < 0 || c.count < (cells[best] as Cell).count)) best = i;
    });
    if (best >= 0) out[best] = 'sdc:secondary';
  }
  return out;
}

/** Counts are released rounded to the policy's base (never below zero). */
export function roundCount(x: number, base: number): number {
  return Math.max(0, Math.round(x / base) * base);
}

/** A magnitude with at most `figures` significant figures. */
export function significant(x: number, figures: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(figures));
}

/** One decision per rule, summarising what each did to the release. */
export function summarise(suppressions: readonly (Suppression | null)[], cells: number, d: Policy['disclosure']): Decision[] {
  const count = (rule: Suppression) => suppressions.filter((s) => s === rule).length;
  const rule = (id: Suppression, params: Record<string, number | boolean>): Decision => {
    const n = count(id);
    return { rule: id, status: n > 0 ? 'REVIEW' : 'PASS', action: n > 0 ? 'suppress' : 'none', params: { ...params, suppressed: n, cells } };
  };
  return [
    rule('sdc:k-min', { kMin: d.kMin }),
    rule('sdc:zeros', { zerosDisclosive: d.zerosDisclosive }),
    rule('sdc:dominance', { n: d.dominance.n, kPercent: d.dominance.kPercent }),
    rule('sdc:p-ratio', { pRatioPercent: d.pRatioPercent }),
    rule('sdc:secondary', {}),
    { rule: 'sdc:rounding', status: 'PASS', action: 'round', params: { base: d.roundingBase } },
    { rule: 'sdc:significant-figures', status: 'PASS', action: 'round', params: { figures: d.significantFigures } },
    { rule: 'sdc:no-extremes', status: 'PASS', action: 'none', params: { minimumReleased: false, maximumReleased: false } },
  ];
}
