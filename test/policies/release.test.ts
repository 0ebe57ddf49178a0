// Bands fixed in advance, consistent counts, thresholds on noised values, costs that match
// what is spent, margins from public quantities.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { costMicros, releaseAggregate, STATISTICS, type NoiseFn, type Statistic } from '../../policies/aggregates.js';
import { bandIndex, bandsOf } from '../../policies/bands.js';
import { consistentCounts, projectSimplex, roundLargestRemainder } from '../../policies/consistency.js';
import { laplaceNoise } from '../../policies/dp.js';
import { laplaceHalfWidth, laplaceRatio } from '../../policies/margin.js';
import type { Contract } from '../../policies/output-contract.js';
import { loadPolicy } from '../../policies/policy.schema.js';

const { policy } = loadPolicy();
const graded: Contract = { score: { min: 300, max: 900, step: 10 }, reasons: [], grades: [{ grade: 'A', min: 760 }, { grade: 'B', min: 700 }, { grade: 'C', min: 640 }, { grade: 'D', min: 580 }, { grade: 'E', min: 300 }] };
const plain: Contract = { score: { min: 300, max: 900, step: 10 }, reasons: [] };
const ALL: Statistic[] = [...STATISTICS];

const population = fc.array(fc.record({ lattice: fc.integer({ min: 0, max: 60 }), segment: fc.integer({ min: -1, max: 4 }), bad: fc.boolean() }), { minLength: 0, maxLength: 300 });
const release = (rows: { lattice: number; segment: number; bad: boolean }[], statistics: Statistic[], contract: Contract, noise?: NoiseFn) =>
  releaseAggregate({
    statistics,
    scores: Float64Array.from(rows, (r) => 300 + 10 * r.lattice),
    contract,
    policy,
    labels: Float64Array.from(rows, (r) => (r.bad ? 1 : 0)),
    segments: { key: 'industry', codes: Float64Array.from(rows, (r) => r.segment), categories: ['a', 'b', 'c', 'd', 'e'] },
    ...(noise ? { noise } : {}),
  });

describe('bands, fixed before any data is read', () => {
  it('are the grades when declared, else at most 16 equal bands of the lattice', () => {
    expect(bandsOf(graded, policy).map((b) => [b.label, b.from, b.to])).toEqual([
      ['E', 300, 570],
      ['D', 580, 630],
      ['C', 640, 690],
      ['B', 700, 750],
      ['A', 760, 900],
    ]);
    const eq = bandsOf(plain, policy);
    expect(eq.length).toBe(16);
    expect(eq[0]?.from).toBe(300);
    expect(eq[15]?.to).toBe(900);
    eq.slice(1).forEach((b, j) => expect(b.from).toBe((eq[j]?.to as number) + 10));
    // scores below the lowest grade form their own band; a tiny lattice gets one band per value
    expect(bandsOf({ ...graded, grades: [{ grade: 'A', min: 800 }] }, policy).map((b) => [b.label, b.from, b.to])).toEqual([
      ['-', 300, 790],
      ['A', 800, 900],
    ]);
    expect(bandsOf({ score: { min: 0, max: 2, step: 1 }, reasons: [] }, policy).length).toBe(3);
  });
});

describe('bands partition the lattice', () => {
  it('every lattice value lies in exactly one band, bands ascending, at most maxBands', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 128 }),
        fc.array(fc.integer({ min: -2000, max: 8000 }), { maxLength: 20 }),
        (min, step, values, mins) => {
          const score = { min, max: min + (values - 1) * step, step };
          const grades = [...new Set(mins)].sort((a, b) => b - a).map((m, i) => ({ grade: String.fromCharCode(65 + i), min: m }));
          const bands = bandsOf({ score, reasons: [], ...(grades.length ? { grades } : {}) }, policy);
          expect(bands.length).toBeLessThanOrEqual(policy.privacy.maxBands);
          const idx = bandIndex(bands, score);
          expect([...idx].every((j) => j >= 0)).toBe(true);
          expect(bands.reduce((a, b) => a + (b.to - b.from) / step + 1, 0)).toBe(values);
          bands.slice(1).forEach((b, j) => expect(b.from).toBe((bands[j]?.to as number) + step));
        },
      ),
    );
  });
});

describe('consistent counts', () => {
  it('are non-negative integers summing to the public total', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -50, max: 200 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 3000 }), (noisy, n) => {
        const x = consistentCounts(noisy, n);
        expect(x.every((v) => v >= 0 && Number.isInteger(v))).toBe(true);
        expect(x.reduce((a, b) => a + b, 0)).toBe(n);
      }),
    );
  });

  it('leave counts that are already consistent unchanged; the projection meets its optimality conditions', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 30 }), (cells) => {
        const n = cells.reduce((a, b) => a + b, 0);
        expect([...consistentCounts(cells, n)]).toEqual(cells);
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 500 }), (y, n) => {
        const x = projectSimplex(y, n);
        expect(Math.abs(x.reduce((a, b) => a + b, 0) - n)).toBeLessThan(1e-6);
        // KKT: x_i = max(0, y_i - tau) with one tau for all
        const positive = [...x.keys()].filter((i) => (x[i] as number) > 0);
        const tau = (y[positive[0] as number] as number) - (x[positive[0] as number] as number);
        for (let i = 0; i < y.length; i++) expect(Math.abs((x[i] as number) - Math.max(0, (y[i] as number) - tau))).toBeLessThan(1e-6);
      }),
    );
    expect([...roundLargestRemainder([0.5, 0.5, 1], 2)]).toEqual([1, 0, 1]);
  });

  it('released band counts are non-negative, at least k-min when shown, and sum to n when none is withheld', () => {
    fc.assert(
      fc.property(population, fc.boolean(), (rows, withGrades) => {
        const contract = withGrades ? graded : plain;
        const { result } = release(rows, ALL, contract, laplaceNoise);
        if (rows.length < policy.disclosure.kMin) {
          expect(result).toBeNull();
          return;
        }
        const n = rows.length;
        expect(result?.count).toBe(n);
        for (const list of [result?.histogram ?? [], result?.backtest?.bands ?? []]) {
          const shown = list.map((b) => b.count).filter((c): c is number => c !== null);
          expect(shown.every((c) => Number.isInteger(c) && c >= policy.disclosure.kMin)).toBe(true);
          const sum = shown.reduce((a, b) => a + b, 0);
          if (shown.length === list.length) expect(sum).toBe(n);
          else expect(sum).toBeLessThanOrEqual(n);
        }
        // a histogram asked alone: its own noise, the same consistency
        const alone = release(rows, ['histogram'], contract, laplaceNoise).result?.histogram ?? [];
        const shownAlone = alone.map((b) => b.count).filter((c): c is number => c !== null);
        expect(shownAlone.every((c) => Number.isInteger(c) && c >= policy.disclosure.kMin)).toBe(true);
        if (shownAlone.length === alone.length) expect(shownAlone.reduce((a, b) => a + b, 0)).toBe(n);
        // the histogram of a backtest request is the backtest's band counts
        expect(result?.histogram?.map((b) => b.count)).toEqual(result?.backtest?.bands.map((b) => b.count));
        // segment sizes are public: exact
        for (const s of result?.segments?.rows ?? []) expect(s.count).toBe(rows.filter((r) => ['a', 'b', 'c', 'd', 'e'][r.segment] === s.value).length);
        if (result?.meanScore != null) {
          expect(result.meanScore).toBeGreaterThanOrEqual(300);
          expect(result.meanScore).toBeLessThanOrEqual(900);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a cohort under k-min (a public size) or a lattice over the cap, and rejects off-lattice scores', () => {
    const { result, decisions } = release([{ lattice: 3, segment: 0, bad: false }], ['count'], graded);
    expect(result).toBeNull();
    expect(decisions.find((d) => d.rule === 'sdc:k-min')).toMatchObject({ status: 'FAIL', action: 'deny' });
    expect(() => releaseAggregate({ statistics: ['count'], scores: new Float64Array(20).fill(305), contract: graded, policy })).toThrow(RangeError);
    const wide = releaseAggregate({ statistics: ['meanScore'], scores: new Float64Array(20).fill(0), contract: { score: { min: 0, max: 128, step: 1 }, reasons: [] }, policy });
    expect(wide.result).toBeNull();
    expect(wide.decisions.find((d) => d.rule === 'output:lattice-size')).toMatchObject({ status: 'FAIL', action: 'deny' });
  });
});

describe('cost', () => {
  it('is data-independent and equals the epsilon the release spends, for every set of statistics', () => {
    const rowsA = Array.from({ length: 50 }, (_, i) => ({ lattice: i % 61, segment: i % 5, bad: i % 7 === 0 }));
    const rowsB = Array.from({ length: 400 }, (_, i) => ({ lattice: (i * 13) % 61, segment: i % 3, bad: i % 3 === 0 }));
    for (let mask = 1; mask < 1 << ALL.length; mask++) {
      const stats = ALL.filter((_, i) => mask & (1 << i));
      const cost = costMicros(stats, policy);
      for (const rows of [rowsA, rowsB]) {
        const { decisions } = release(rows, stats, graded, () => 0);
        expect(decisions.find((d) => d.rule === 'dp:composition')?.params.epsilonMicros, stats.join()).toBe(cost);
        const perStatistic = decisions.filter((d) => d.rule === 'dp:noise').reduce((a, d) => a + (d.params.epsilonMicros as number), 0);
        expect(perStatistic).toBe(cost);
      }
    }
  });

  it('a full backtest costs at most 1 epsilon, so 10 epsilon per organisation buys at least 10', () => {
    const full = costMicros(['count', 'meanScore', 'histogram', 'backtest'], policy);
    expect(full).toBeLessThanOrEqual(1_000_000);
    expect(Math.floor(policy.budget.perOrganisationMicros / full)).toBeGreaterThanOrEqual(10);
    expect(costMicros(['count'], policy)).toBe(0);
    expect(costMicros(['segments', 'segments'], policy)).toBe(policy.privacy.epsilonMicros.segments);
  });
});

describe('margins', () => {
  it('the noise half-width is the smallest t with P(|Z| <= t) >= 95% for the discrete Laplace law', () => {
    for (const [sens, eps] of [[1, 1_000_000], [2, 800_000], [60, 200_000], [60, 500_000]] as const) {
      const t = laplaceHalfWidth(sens, eps);
      const q = laplaceRatio(sens, eps);
      const within = (k: number) => 1 - (2 * q ** (k + 1)) / (1 + q);
      expect(within(t)).toBeGreaterThanOrEqual(0.95);
      if (t > 0) expect(within(t - 1)).toBeLessThan(0.95);
    }
  });

  it('the mean score margin covers the released mean about 95% of the time', () => {
    const rows = Array.from({ length: 400 }, (_, i) => ({ lattice: (i * 17) % 61, segment: 0, bad: false }));
    const truth = 300 + 10 * (rows.reduce((a, r) => a + r.lattice, 0) / rows.length);
    let covered = 0;
    const runs = 400;
    for (let r = 0; r < runs; r++) {
      const { result } = release(rows, ['meanScore'], graded, laplaceNoise);
      if (Math.abs((result?.meanScore as number) - truth) <= (result?.meanScoreMargin as number) + 0.01) covered++;
    }
    expect(covered / runs).toBeGreaterThan(0.9);
  });
});
