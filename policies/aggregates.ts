// The aggregate menu: count, mean score, histogram, per-segment mean score and backtest,
// released from lattice scores under epsilon-DP (relation and sensitivities:
// policies/sensitivity.ts; plain words: docs/privacy.md).
//   1. Exact integer queries (policies/queries.ts) get integer discrete Laplace noise of
//      scale sensitivity / epsilon (policies/dp.ts; CKS 2020, Alg. 2). Only a few cells are
//      noised: one sum, one cell per band, two per band for the backtest.
//   2. Everything after the noise is post-processing (Dwork and Roth 2014, Prop. 2.1):
//      consistent counts (policies/consistency.ts), metrics from the released cells
//      (policies/backtest.ts), thresholds on noised values or public sizes only
//      (policies/disclosure.ts), margins from public quantities (policies/margin.ts).
//   3. Cohort and segment sizes are public under the relation: released exactly, at no cost.
// The answer names which rules ran; it never counts suppressed cells per rule.
import { bandAuc, bandKs, smoothedBandAuc } from './backtest.js';
import { bandIndex, bandsOf, type Band } from './bands.js';
import { consistentCounts } from './consistency.js';
import type { Decision } from './decision.js';
import { belowThreshold, significant } from './disclosure.js';
import { laplaceNoise } from './dp.js';
import { bootstrapLaplace, laplaceHalfWidth, percentileHalfWidth, publicGenerator } from './margin.js';
import { onLattice, type Contract } from './output-contract.js';
import type { Policy } from './policy.schema.js';
import { backtestQuery, histogramQuery, segmentSizes, segmentSumQuery, sumQuery, type CohortData } from './queries.js';
import { latticeSpan, RELATION, sensitivityOf, STATISTICS, type Statistic } from './sensitivity.js';

export { STATISTICS, type Statistic } from './sensitivity.js';
export type { Band } from './bands.js';

/** Integer noise for an L1 sensitivity at epsilon = micros / 1e6 (default: discrete Laplace). */
export type NoiseFn = (sensitivity: number, epsilonMicros: number) => number;

export interface AggregateInput {
  statistics: readonly Statistic[];
  /** One score per cohort member, every one already on the lattice (output-contract.ts `applyContract`). */
  scores: Float64Array;
  contract: Contract;
  policy: Policy;
  /** The hidden default label, 1 = defaulted (backtest only). */
  labels?: Float64Array;
  /** A public segment key: the category code of each merchant and the category names. */
  segments?: { key: string; codes: Float64Array; categories: readonly string[] };
  /** Injected by tests; the platform always uses the exact discrete Laplace sampler. */
  noise?: NoiseFn;
}

export interface HistogramBand extends Band {
  /** Released count; null when the noised count is under the thresholds. */
  count: number | null;
  /** 95% half-width of the count. */
  margin: number | null;
}

export interface BacktestBand extends Band {
  count: number | null;
  countMargin: number | null;
  /** Defaulters / merchants of the band, from the released cells. */
  badRate: number | null;
  badRateMargin: number | null;
}

export interface BacktestResult {
  auc: number | null;
  ks: number | null;
  gini: number | null;
  /** 95% half-widths by parametric bootstrap on the released cells. */
  margins: { auc: number | null; ks: number | null; gini: number | null };
  bands: BacktestBand[];
}

export interface AggregateResult {
  /** Exact: the cohort size is public under the relation. */
  count?: number;
  meanScore?: number | null;
  meanScoreMargin?: number | null;
  histogram?: HistogramBand[];
  segments?: { key: string; rows: { value: string; count: number; meanScore: number | null; margin: number | null }[] };
  backtest?: BacktestResult | null;
  /** Confidence level of every margin (a 95% half-width). */
  marginLevel: number;
}

/** Epsilon (micros) of each statistic of a request; a histogram asked with a backtest is derived from it. */
function epsilonOf(statistic: Statistic, want: ReadonlySet<Statistic>, policy: Policy): number {
  if (statistic === 'histogram' && want.has('backtest')) return 0;
  return policy.privacy.epsilonMicros[statistic];
}

/**
 * The privacy cost of a request in epsilon micros, from the request and the policy alone
 * (data-independent), and equal by construction to what releaseAggregate spends: both read
 * `epsilonOf`. Repeated statistics count once.
 */
export function costMicros(statistics: readonly Statistic[], policy: Policy): number {
  const want = new Set(statistics);
  let total = 0;
  for (const s of STATISTICS) if (want.has(s)) total += epsilonOf(s, want, policy);
  return total;
}

const threshold = (rule: 'sdc:k-min' | 'sdc:zeros', statistic: Statistic, suppressed: boolean, appliedTo: 'noised' | 'public', policy: Policy): Decision => ({
  rule,
  status: 'PASS',
  action: suppressed ? 'suppressed' : 'none',
  params: rule === 'sdc:k-min' ? { statistic, kMin: policy.disclosure.kMin, appliedTo } : { statistic, zerosDisclosive: policy.disclosure.zerosDisclosive, appliedTo },
});

/**
 * Releases the requested statistics of one cohort. Pure: the only randomness is `noise`.
 * Returns a null result (and a FAIL decision) when the public cohort size is under k-min.
 */
export function releaseAggregate(input: AggregateInput): { result: AggregateResult | null; decisions: Decision[] } {
  const { scores, contract, policy } = input;
  const { min, step } = contract.score;
  const L = latticeSpan(contract.score);
  const n = scores.length;
  const figures = policy.disclosure.significantFigures;
  const level = policy.privacy.marginLevelPercent / 100;
  const want = new Set(input.statistics);
  const sample = input.noise ?? laplaceNoise;
  // scores come from model code (attacker-controlled) but must have passed the contract
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = scores[i] as number;
    if (!onLattice(s, contract.score)) throw new RangeError('releaseAggregate: scores must be on the lattice (apply the output contract first)');
    idx[i] = (s - min) / step;
  }
  const bands = bandsOf(contract, policy);
  const data: CohortData = { idx, bandOfIndex: bandIndex(bands, contract.score), bands: bands.length };
  const decisions: Decision[] = [
    { rule: 'dp:relation', status: 'PASS', action: 'state', params: { relation: RELATION, publicSizes: true, mechanism: policy.privacy.mechanism } },
  ];

  // Every sensitivity grows with the lattice: the policy caps its size (public, from the manifest).
  if (L + 1 > policy.output.maxLatticeValues) {
    decisions.push({ rule: 'output:lattice-size', status: 'FAIL', action: 'deny', params: { maxLatticeValues: policy.output.maxLatticeValues } });
    return { result: null, decisions };
  }
  // The cohort size is public: a small cohort is refused before anything is noised.
  const small = belowThreshold(n, policy.disclosure);
  if (small) {
    decisions.push({ rule: 'sdc:k-min', status: 'FAIL', action: 'deny', params: { kMin: policy.disclosure.kMin, scope: 'cohort', appliedTo: 'public' } });
    return { result: null, decisions };
  }

  let spent = 0;
  const draw = (sensitivity: number, epsilonMicros: number): number => {
    if (sensitivity === 0) return 0;
    const z = sample(sensitivity, epsilonMicros);
    if (!Number.isSafeInteger(z)) throw new RangeError('noise must be an integer');
    return z;
  };
  const noised = (statistic: Statistic, exact: Float64Array, sensitivity: number, action = 'noise'): Float64Array => {
    const eps = epsilonOf(statistic, want, policy);
    spent += eps;
    decisions.push({ rule: 'dp:noise', status: 'PASS', action, params: { statistic, mechanism: policy.privacy.mechanism, sensitivity, epsilonMicros: eps, cells: exact.length } });
    return Float64Array.from(exact, (v) => v + draw(sensitivity, eps));
  };
  const result: AggregateResult = { marginLevel: level };

  if (want.has('count')) {
    result.count = n;
    decisions.push({ rule: 'dp:noise', status: 'PASS', action: 'exact', params: { statistic: 'count', mechanism: policy.privacy.mechanism, sensitivity: 0, epsilonMicros: 0, cells: 1 } });
  }

  if (want.has('meanScore')) {
    const sens = sensitivityOf('meanScore', contract, bands);
    const [sum] = noised('meanScore', sumQuery(data), sens) as unknown as [number];
    result.meanScore = significant(min + step * Math.min(L, Math.max(0, sum / n)), figures);
    result.meanScoreMargin = significant((step * laplaceHalfWidth(sens, policy.privacy.epsilonMicros.meanScore, level)) / n, 2);
  }

  let cells: Int32Array | null = null;
  if (want.has('backtest')) {
    if (!input.labels || input.labels.length !== n) throw new RangeError('releaseAggregate: a backtest needs one label per merchant');
    data.labels = input.labels;
    const sens = sensitivityOf('backtest', contract, bands);
    cells = consistentCounts(noised('backtest', backtestQuery(data), sens), n);
    decisions.push({ rule: 'dp:post-processing', status: 'PASS', action: 'project-round', params: { statistic: 'backtest', method: 'simplex-projection+largest-remainder' } });
    result.backtest = backtestRelease(cells, bands, input.policy, decisions);
  }

  if (want.has('histogram')) {
    let counts: Int32Array;
    let margins: (number | null)[];
    if (cells) {
      // the band counts of the backtest's cells: no new noise, no new cost
      const B = bands.length;
      counts = Int32Array.from({ length: B }, (_, j) => (cells![j] as number) + (cells![B + j] as number));
      noised('histogram', new Float64Array(0), 0, 'derived');
      margins = (result.backtest?.bands ?? []).map((b) => b.countMargin);
    } else {
      const sens = sensitivityOf('histogram', contract, bands);
      counts = consistentCounts(noised('histogram', histogramQuery(data), sens), n);
      decisions.push({ rule: 'dp:post-processing', status: 'PASS', action: 'project-round', params: { statistic: 'histogram', method: 'simplex-projection+largest-remainder' } });
      const hw = laplaceHalfWidth(sens, policy.privacy.epsilonMicros.histogram, level);
      margins = bands.map(() => hw);
    }
    let suppressed = false;
    result.histogram = bands.map((b, j) => {
      const c = counts[j] as number;
      const hidden = belowThreshold(c, policy.disclosure) !== null;
      suppressed ||= hidden;
      return { ...b, count: hidden ? null : c, margin: hidden ? null : (margins[j] ?? null) };
    });
    decisions.push(threshold('sdc:k-min', 'histogram', suppressed, 'noised', policy));
  }

  if (want.has('segments')) {
    const seg = input.segments;
    if (!seg || seg.codes.length !== n) throw new RangeError('releaseAggregate: segments need one public code per merchant');
    data.segment = Int32Array.from(seg.codes, (c) => (Number.isInteger(c) && c >= 0 && c < seg.categories.length ? c : -1));
    data.segments = seg.categories.length;
    const sizes = segmentSizes(data);
    const sens = sensitivityOf('segments', contract, bands, seg.categories.length);
    const sums = noised('segments', segmentSumQuery(data), sens);
    const hw = laplaceHalfWidth(sens, policy.privacy.epsilonMicros.segments, level);
    let suppressed = false;
    result.segments = {
      key: seg.key,
      rows: seg.categories.map((value, j) => {
        const size = sizes[j] as number;
        // a threshold on a public size: withholding reveals nothing secret
        const hidden = belowThreshold(size, policy.disclosure) !== null;
        suppressed ||= hidden;
        const mean = hidden ? null : significant(min + step * Math.min(L, Math.max(0, (sums[j] as number) / size)), figures);
        return { value, count: size, meanScore: mean, margin: hidden ? null : significant((step * hw) / size, 2) };
      }),
    };
    decisions.push(threshold('sdc:k-min', 'segments', suppressed, 'public', policy));
  }

  decisions.push(
    { rule: 'dp:composition', status: 'PASS', action: 'sum', params: { epsilonMicros: spent } },
    { rule: 'release:margins', status: 'PASS', action: 'margin', params: { levelPercent: policy.privacy.marginLevelPercent, bootstrapReplicates: policy.privacy.bootstrapReplicates } },
    { rule: 'sdc:significant-figures', status: 'PASS', action: 'round', params: { figures } },
  );
  return { result, decisions };
}

/** Metrics of one backtest release, and their margins by parametric bootstrap. */
function metricsOf(cells: Int32Array, B: number) {
  const good = cells.subarray(0, B);
  const bad = cells.subarray(B, 2 * B);
  const auc = smoothedBandAuc(good, bad);
  return { good, bad, auc, ks: bandKs(good, bad), trapezoid: bandAuc(good, bad) };
}

function backtestRelease(cells: Int32Array, bands: readonly Band[], policy: Policy, decisions: Decision[]): BacktestResult {
  const B = bands.length;
  const d = policy.disclosure;
  const figures = d.significantFigures;
  const level = policy.privacy.marginLevelPercent / 100;
  const n = cells.reduce((a, b) => a + b, 0);
  const m = metricsOf(cells, B);
  let bads = 0;
  for (let j = 0; j < B; j++) bads += m.bad[j] as number;
  const classesShown = belowThreshold(bads, d) === null && belowThreshold(n - bads, d) === null;

  // Parametric bootstrap: replay the public noise around the released cells, post-process
  // each replicate the same way, and read the spread (Efron and Tibshirani 1993, ch. 6).
  const eps = policy.privacy.epsilonMicros.backtest;
  const rand = publicGenerator(cells);
  const reps = { auc: [] as number[], ks: [] as number[], counts: bands.map(() => [] as number[]), rates: bands.map(() => [] as number[]) };
  for (let r = 0; r < policy.privacy.bootstrapReplicates; r++) {
    const star = consistentCounts(Float64Array.from(cells, (v) => v + bootstrapLaplace(rand, 2, eps)), n);
    const s = metricsOf(star, B);
    reps.auc.push(s.auc);
    reps.ks.push(s.ks);
    for (let j = 0; j < B; j++) {
      const c = (s.good[j] as number) + (s.bad[j] as number);
      (reps.counts[j] as number[]).push(c);
      if (c > 0) (reps.rates[j] as number[]).push((s.bad[j] as number) / c);
    }
  }
  const hw = (xs: number[]) => {
    const h = percentileHalfWidth(xs, level);
    return h === null ? null : significant(h, 2);
  };
  // The bootstrap sees the noise only. Ties inside a band hide the ordering the true AUC
  // counts; the smoothing corrects for them (policies/backtest.ts), and half of that
  // correction is added in quadrature as its own uncertainty.
  const aucNoise = percentileHalfWidth(reps.auc, level);
  const banding = Number.isFinite(m.auc - m.trapezoid) ? Math.abs(m.auc - m.trapezoid) / 2 : 0;
  const aucMargin = classesShown && aucNoise !== null ? significant(Math.hypot(aucNoise, banding), 2) : null;

  let countHidden = false;
  let rateZero = false;
  const out: BacktestBand[] = bands.map((b, j) => {
    const count = (m.good[j] as number) + (m.bad[j] as number);
    const bad = m.bad[j] as number;
    // thresholds on released (noised, consistent) values only
    const hidden = belowThreshold(count, d) !== null;
    const zero = !hidden && bad === 0 && d.zerosDisclosive;
    countHidden ||= hidden;
    rateZero ||= zero;
    return {
      ...b,
      count: hidden ? null : count,
      countMargin: hidden ? null : hw(reps.counts[j] as number[]),
      badRate: hidden || zero ? null : significant(bad / count, figures),
      badRateMargin: hidden || zero ? null : hw(reps.rates[j] as number[]),
    };
  });
  decisions.push(
    threshold('sdc:k-min', 'backtest', countHidden || !classesShown, 'noised', policy),
    threshold('sdc:zeros', 'backtest', rateZero, 'noised', policy),
  );
  const shown = (x: number) => (classesShown && Number.isFinite(x) ? significant(x, figures) : null);
  return {
    auc: shown(m.auc),
    ks: shown(m.ks),
    gini: shown(2 * m.auc - 1),
    margins: { auc: aucMargin, ks: classesShown ? hw(reps.ks) : null, gini: aucMargin === null ? null : significant(2 * aucMargin, 2) },
    bands: out,
  };
}

/**
 * @deprecated The former entry point, kept so the run pipeline compiles while it is
 * rewritten; identical to releaseAggregate.
 */
export const computeAggregates = releaseAggregate;

/** @deprecated Use bandsOf(contract, policy). */
export { bandsOf } from './bands.js';
