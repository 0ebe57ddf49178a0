import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bands, computeAggregates, type NoiseFn, type Statistic } from '../../policies/aggregates.js';
import { laplaceNoise } from '../../policies/dp.js';
import { checkOutputs } from '../../policies/output-contract.js';
import { loadPolicy } from '../../policies/policy.schema.js';
import { primarySuppression, suppressTable } from '../../policies/disclosure.js';
import { denied } from '../../policies/decision.js';

const { policy } = loadPolicy();
const contract = { score: { min: 300, max: 900, step: 10 }, reasons: [], grades: [{ grade: 'A', min: 760 }, { grade: 'B', min: 700 }, { grade: 'C', min: 640 }, { grade: 'D', min: 580 }, { grade: 'E', min: 300 }] };
const ALL: Statistic[] = ['count', 'meanScore', 'histogram', 'segments', 'backtest'];

const population = fc.array(fc.record({ lattice: fc.integer({ min: 0, max: 60 }), segment: fc.integer({ min: 0, max: 4 }), bad: fc.boolean() }), { minLength: 0, maxLength: 300 });

describe('aggregate releases (properties)', () => {
  it('never release a cell under the threshold; every count on its rounding lattice', () => {
    fc.assert(
      fc.property(population, (rows) => {
        const scores = Float64Array.from(rows, (r) => 300 + 10 * r.lattice);
        const codes = Float64Array.from(rows, (r) => r.segment);
        const labels = Float64Array.from(rows, (r) => (r.bad ? 1 : 0));
        const { result } = computeAggregates({ statistics: ALL, scores, contract, policy, labels, segments: { key: 'industry', codes, categories: ['a', 'b', 'c', 'd', 'e'] } });
        const n = rows.length;
        if (n < policy.disclosure.kMin) expect(result.count).toBeNull();
        if (result.count != null) expect(result.count % 5).toBe(0);
        for (const seg of result.segments!.rows) {
          const members = rows.filter((r) => ['a', 'b', 'c', 'd', 'e'][r.segment] === seg.value).length;
          if (members < policy.disclosure.kMin) expect(seg.count).toBeNull();
          if (seg.count !== null) expect(seg.count % 5).toBe(0);
        }
        result.histogram!.forEach((b) => {
          const members = rows.filter((r) => 300 + 10 * r.lattice >= b.from && 300 + 10 * r.lattice <= b.to).length;
          if (members < policy.disclosure.kMin) expect(b.count).toBeNull();
          if (b.count !== null) expect(b.count % 5).toBe(0);
        });
        if (result.backtest) for (const band of result.backtest.bands) {
          const members = rows.filter((r) => 300 + 10 * r.lattice >= band.from && 300 + 10 * r.lattice <= band.to).length;
          if (members < policy.disclosure.kMin) expect(band.count).toBeNull();
        }
        if (result.meanScore != null) {
          expect(result.meanScore).toBeGreaterThanOrEqual(300);
          expect(result.meanScore).toBeLessThanOrEqual(900);
          expect(String(result.meanScore).replace(/[.-]/g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(4);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('every noisy value lies on its integer lattice', () => {
    fc.assert(
      fc.property(population, (rows) => {
        const drawn: { sensitivity: number; value: number }[] = [];
        const noise: NoiseFn = (sensitivity, eps) => {
          const value = laplaceNoise(sensitivity, eps);
          drawn.push({ sensitivity, value });
          return value;
        };
        const scores = Float64Array.from(rows, (r) => 300 + 10 * r.lattice);
        const { result } = computeAggregates({ statistics: ALL, scores, contract, policy, labels: Float64Array.from(rows, (r) => (r.bad ? 1 : 0)), noise });
        // counts get noise of sensitivity 1, sums of lattice indexes noise of sensitivity 60
        expect(drawn.every((d) => Number.isInteger(d.value))).toBe(true);
        expect(new Set(drawn.map((d) => d.sensitivity)).size).toBeLessThanOrEqual(2);
        for (const d of drawn) expect([1, 60]).toContain(d.sensitivity);
        if (rows.length >= policy.disclosure.kMin) expect(drawn.length).toBeGreaterThan(0);
        for (const c of [result.count, ...(result.histogram ?? []).map((b) => b.count)]) if (c != null) expect(Number.isInteger(c / 5)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('a release with a denying decision never carries data', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 250, max: 950, noNaN: false }), { minLength: 1, maxLength: 50 }), (values) => {
        const scores = Float64Array.from(values);
        const decisions = checkOutputs(scores, new Uint8Array(values.length * 3), values.length, contract);
        const onLattice = values.every((v) => Number.isInteger(v) && v >= 300 && v <= 900 && v % 10 === 0);
        expect(denied(decisions)).toBe(!onLattice);
      }),
    );
  });

  it('suppresses dominance and p-ratio cells, and one lone suppressed cell is joined by a second', () => {
    const d = policy.disclosure;
    expect(primarySuppression({ count: 12, contributions: [600, ...new Array(11).fill(0)] }, d)).toBe('sdc:dominance');
    expect(primarySuppression({ count: 12, contributions: [500, 10, ...new Array(10).fill(1)] }, d)).toBe('sdc:dominance');
    expect(primarySuppression({ count: 12, contributions: [300, 150, 150, ...new Array(9).fill(0)] }, d)).toBe(null);
    expect(primarySuppression({ count: 12, contributions: [300, 270, 10, 5, ...new Array(8).fill(0)] }, d)).toBe('sdc:dominance');
    // with n=2, k=90% dominance implies the 10% p-ratio; a weaker dominance rule shows p-ratio alone
    const weak = { ...d, dominance: { n: 2, kPercent: 99 } };
    expect(primarySuppression({ count: 12, contributions: [100, 60, 4, 4, ...new Array(8).fill(0)] }, weak)).toBe('sdc:p-ratio');
    expect(primarySuppression({ count: 12, contributions: [100, 60, 6, 6, ...new Array(8).fill(0)] }, weak)).toBe(null);
    expect(suppressTable([{ count: 50 }, { count: 3 }, { count: 20 }, { count: 40 }], d, true)).toEqual([null, 'sdc:k-min', 'sdc:secondary', null]);
    expect(bands(contract).map((b) => [b.from, b.to])).toEqual([[300, 570], [580, 630], [640, 690], [700, 750], [760, 900]]);
  });
});

