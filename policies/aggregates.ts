// The aggregate menu, computed by the host from per-merchant scores (already checked on
// their lattice). Every released number comes from integer cells with discrete noise on
// their own lattice: counts (sensitivity 1) and sums of lattice indexes (sensitivity
// (max - min) / step, each merchant contributing once). Metrics are post-processing of
// noisy cells. Checks run on the true cells first; a suppressed cell is released as null.
import type { Decision } from './decision.js';
import { roundCount, significant, summarise, suppressTable, type Cell, type Suppression } from './disclosure.js';
import { laplaceNoise } from './dp.js';
import type { Contract } from './output-contract.js';
import type { Policy } from './policy.schema.js';

export const STATISTICS = ['count', 'meanScore', 'histogram', 'segments', 'backtest'] as const;
export type Statistic = (typeof STATISTICS)[number];

/** Integer noise of a given L1 sensitivity at epsilon = micros / 1e6. */
export type NoiseFn = (sensitivity: number, epsilonMicros: number) => number;

export interface AggregateInput {
  statistics: readonly Statistic[];
  scores: Float64Array;
  contract: Contract;
  policy: Policy;
  /** The hidden default label (backtest only). */
  labels?: Float64Array;
  /** A public segment key: the category code of each merchant and the category names. */
  segments?: { key: string; codes: Float64Array; categories: readonly string[] };
  noise?: NoiseFn;
}

export interface Band {
  label: string;
  from: number;
  to: number;
}

export interface AggregateResult {
  count?: number | null;
  meanScore?: number | null;
  histogram?: (Band & { count: number | null })[];
  segments?: { key: string; rows: { value: string; count: number | null; meanScore: number | null }[] };
  backtest?: { auc: number | null; ks: number | null; gini: number | null; bands: (Band & { count: number | null; badRate: number | null })[] } | null;
  suppressed: { cells: number; byRule: Record<string, number> };
}

/** The privacy cost of a question: one epsilon per statistic. */
export function costMicros(statistics: readonly Statistic[], policy: Policy): number {
  return statistics.length * policy.privacy.epsilonMicrosPerStatistic;
}

/** Bins: the declared grade bands, else six equal ranges of the lattice. */
export function bands(c: Contract): Band[] {
  const { min, max, step } = c.score;
  if (c.grades && c.grades.length) {
    return c.grades.map((g, i) => ({ label: g.grade, from: g.min, to: i === 0 ? max : (c.grades?.[i - 1]?.min ?? max) - step })).reverse();
  }
  const values = (max - min) / step + 1;
  const per = Math.ceil(values / 6);
  const out: Band[] = [];
  for (let v = 0; v < values; v += per) out.push({ label: `${min + v * step}-${min + Math.min(values - 1, v + per - 1) * step}`, from: min + v * step, to: min + Math.min(values - 1, v + per - 1) * step });
  return out;
}

export function computeAggregates(input: AggregateInput): { result: AggregateResult; decisions: Decision[] } {
  const { scores, contract, policy } = input;
  const d = policy.disclosure;
  const noise = input.noise ?? laplaceNoise;
  const eps = policy.privacy.epsilonMicrosPerStatistic;
  const half = Math.max(1, Math.floor(eps / 2));
  const { min, max, step } = contract.score;
  const L = (max - min) / step;
  const n = scores.length;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = ((scores[i] as number) - min) / step;
  const above = (rows: Int32Array | null): Float64Array => {
    const src = rows ?? Int32Array.from({ length: n }, (_, i) => i);
    return Float64Array.from(src, (i) => (idx[i] as number) * step);
  };
  const noisyMean = (count: number, sumIdx: number): number => {
    const c = count + noise(1, half);
    const s = sumIdx + noise(L, half);
    const meanIdx = Math.min(L, Math.max(0, s / Math.max(1, c)));
    return significant(min + step * meanIdx, d.significantFigures);
  };
  const all: (Suppression | null)[] = [];
  const result: AggregateResult = { suppressed: { cells: 0, byRule: {} } };
  const want = new Set(input.statistics);

  if (want.has('count')) {
    const [s] = suppressTable([{ count: n }], d, false);
    all.push(s ?? null);
    result.count = s ? null : roundCount(n + noise(1, eps), d.roundingBase);
  }
  if (want.has('meanScore')) {
    const [s] = suppressTable([{ count: n, contributions: above(null) }], d, false);
    all.push(s ?? null);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += idx[i] as number;
    result.meanScore = s ? null : noisyMean(n, sum);
  }
  const bins = bands(contract);
  const binOf = (s: number): number => bins.findIndex((b) => s >= b.from && s <= b.to);
  if (want.has('histogram')) {
    const counts = bins.map(() => 0);
    for (let i = 0; i < n; i++) (counts[binOf(scores[i] as number)] as number)++;
    const sup = suppressTable(counts.map((count) => ({ count })), d, true);
    all.push(...sup);
    result.histogram = bins.map((b, j) => ({ ...b, count: sup[j] ? null : roundCount((counts[j] as number) + noise(1, eps), d.roundingBase) }));
  }
  if (want.has('segments') && input.segments) {
    const { key, codes, categories } = input.segments;
    const members: number[][] = categories.map(() => []);
    for (let i = 0; i < n; i++) {
      const c = codes[i] as number;
      if (c >= 0 && c < categories.length) (members[c] as number[]).push(i);
    }
    const cells: Cell[] = members.map((m) => ({ count: m.length, contributions: above(Int32Array.from(m)) }));
    const sup = suppressTable(cells, d, true);
    all.push(...sup);
    result.segments = {
      key,
      rows: categories.map((value, j) => {
        if (sup[j]) return { value, count: null, meanScore: null };
        const m = members[j] as number[];
        let sum = 0;
        for (const i of m) sum += idx[i] as number;
        return { value, count: roundCount(m.length + noise(1, half), d.roundingBase), meanScore: noisyMean(m.length, sum) };
      }),
    };
  }
  if (want.has('backtest')) result.backtest = backtest(input, idx, L, bins, all, noise);

  for (const s of all) if (s) result.suppressed.byRule[s] = (result.suppressed.byRule[s] ?? 0) + 1;
  result.suppressed.cells = all.filter((s) => s !== null).length;
  const decisions: Decision[] = [
    ...summarise(all, all.length, d),
    { rule: 'dp:noise', status: 'PASS', action: 'noise', params: { mechanism: policy.privacy.mechanism, epsilonMicrosPerStatistic: eps, scoreSensitivity: L } },
  ];
  return { result, decisions };
}

function backtest(input: AggregateInput, idx: Int32Array, L: number, bins: Band[], all: (Suppression | null)[], noise: NoiseFn): AggregateResult['backtest'] {
  const { labels, contract, policy } = input;
  const d = policy.disclosure;
  if (!labels) return null;
  const { min, step } = contract.score;
  // cells: one per (lattice value, label); every merchant in exactly one
  const good = new Float64Array(L + 1);
  const bad = new Float64Array(L + 1);
  let bads = 0;
  for (let i = 0; i < idx.length; i++) {
    if (labels[i] === 1) {
      (bad[idx[i] as number] as number)++;
      bads++;
    } else (good[idx[i] as number] as number)++;
  }
  const goods = idx.length - bads;
  // both classes must be large enough to be summarised at all
  const classCheck = suppressTable([{ count: bads }, { count: goods }], d, false);
  if (classCheck.some((s) => s !== null)) {
    all.push(...classCheck);
    return null;
  }
  const eps = policy.privacy.epsilonMicrosPerStatistic;
  const ng = Float64Array.from(good, (v) => Math.max(0, v + noise(1, eps)));
  const nb = Float64Array.from(bad, (v) => Math.max(0, v + noise(1, eps)));
  // AUC over lattice values with ties, from the noisy cells (post-processing)
  let G = 0;
  let B = 0;
  let correct = 0;
  let badsBelow = 0;
  let ks = 0;
  let cg = 0;
  let cb = 0;
  const totalG = ng.reduce((a, b) => a + b, 0);
  const totalB = nb.reduce((a, b) => a + b, 0);
  for (let v = 0; v <= L; v++) {
    const g = ng[v] as number;
    const b = nb[v] as number;
    correct += g * badsBelow + 0.5 * g * b;
    badsBelow += b;
    G += g;
    B += b;
    cg += g;
    cb += b;
    if (totalG > 0 && totalB > 0) ks = Math.max(ks, Math.abs(cb / totalB - cg / totalG));
  }
  const a = G > 0 && B > 0 ? correct / (G * B) : NaN;
  const bandCells = bins.map((band) => {
    let total = 0;
    let badCount = 0;
    let noisyTotal = 0;
    let noisyBad = 0;
    for (let v = (band.from - min) / step; v <= (band.to - min) / step; v++) {
      total += (good[v] as number) + (bad[v] as number);
      badCount += bad[v] as number;
      noisyTotal += (ng[v] as number) + (nb[v] as number);
      noisyBad += nb[v] as number;
    }
    return { band, total, badCount, noisyTotal, noisyBad };
  });
  const sup = suppressTable(bandCells.map((c) => ({ count: c.total })), d, true);
  const badSup = bandCells.map((c, j) => sup[j] ?? (c.badCount === 0 && d.zerosDisclosive ? 'sdc:zeros' : c.badCount < d.kMin ? 'sdc:k-min' : null));
  all.push(...sup, ...badSup.filter((s, j) => s !== null && !sup[j]));
  return {
    auc: Number.isNaN(a) ? null : significant(a, d.significantFigures),
    ks: significant(ks, d.significantFigures),
    gini: Number.isNaN(a) ? null : significant(2 * a - 1, d.significantFigures),
    bands: bandCells.map((c, j) => ({
      ...c.band,
      count: sup[j] ? null : roundCount(c.noisyTotal, d.roundingBase),
      badRate: badSup[j] || c.noisyTotal <= 0 ? null : significant(c.noisyBad / c.noisyTotal, d.significantFigures),
    })),
  };
}
