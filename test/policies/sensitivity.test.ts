// Brute force of every sensitivity under the stated relation (policies/sensitivity.ts): on
// small cohorts, enumerate every vault and every replacement of one merchant's score and
// label (public attributes, hence segments, fixed) and take the worst L1 change of each
// exact query. It must EQUAL the sensitivity the release uses. Then check that the release
// draws its noise with exactly that sensitivity and the policy's epsilon.
import { describe, expect, it } from 'vitest';
import { releaseAggregate, type NoiseFn } from '../../policies/aggregates.js';
import { bandIndex, bandsOf } from '../../policies/bands.js';
import type { Contract } from '../../policies/output-contract.js';
import { loadPolicy, type Policy } from '../../policies/policy.schema.js';
import { backtestQuery, histogramQuery, segmentSizes, segmentSumQuery, sumQuery, type CohortData } from '../../policies/queries.js';
import { sensitivityOf, STATISTICS, type Statistic } from '../../policies/sensitivity.js';

const base = loadPolicy().policy;
const policyWith = (maxBands: number): Policy => ({ ...base, privacy: { ...base.privacy, maxBands } });

const CASES: { name: string; contract: Contract; policy: Policy }[] = [
  { name: 'equal bands', contract: { score: { min: 300, max: 330, step: 10 }, reasons: [] }, policy: policyWith(2) },
  { name: 'grades with an ungraded band', contract: { score: { min: 0, max: 4, step: 2 }, reasons: [], grades: [{ grade: 'A', min: 4 }, { grade: 'B', min: 2 }] }, policy: policyWith(16) },
  { name: 'one band', contract: { score: { min: 0, max: 3, step: 1 }, reasons: [] }, policy: policyWith(1) },
];

const l1 = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs((a[i] as number) - (b[i] as number));
  return s;
};

describe('sensitivities, brute-forced over the relation', () => {
  it.each(CASES)('$name: the worst change of each query equals the sensitivity used', ({ contract, policy }) => {
    const bands = bandsOf(contract, policy);
    const V = (contract.score.max - contract.score.min) / contract.score.step + 1;
    const n = 3;
    const segment = Int32Array.of(0, 1, 1); // public: the same in both neighbours
    const segments = 2;
    const states = V * 2; // (lattice index, label) of one merchant
    const data = (code: number[]): CohortData => ({
      idx: Int32Array.from(code, (c) => c % V),
      labels: Float64Array.from(code, (c) => Math.floor(c / V)),
      bandOfIndex: bandIndex(bands, contract.score),
      bands: bands.length,
      segment,
      segments,
    });
    const queries: Record<Statistic, (d: CohortData) => Float64Array | Int32Array> = {
      count: (d) => Float64Array.of(d.idx.length),
      meanScore: sumQuery,
      histogram: histogramQuery,
      segments: segmentSumQuery,
      backtest: backtestQuery,
    };
    const worst = Object.fromEntries(STATISTICS.map((s) => [s, 0])) as Record<Statistic, number>;
    let sizesChanged = 0;
    let pairs = 0;
    for (let v = 0; v < states ** n; v++) {
      const code = [v % states, Math.floor(v / states) % states, Math.floor(v / states ** 2) % states];
      const d = data(code);
      for (let m = 0; m < n; m++) {
        for (let s = 0; s < states; s++) {
          const other = [...code];
          other[m] = s;
          const e = data(other);
          pairs++;
          for (const stat of STATISTICS) worst[stat] = Math.max(worst[stat], l1(queries[stat](d), queries[stat](e)));
          sizesChanged += l1(segmentSizes(d), segmentSizes(e));
        }
      }
    }
    expect(pairs).toBe(states ** n * n * states);
    expect(sizesChanged).toBe(0); // segment sizes are public
    for (const stat of STATISTICS) expect(worst[stat], stat).toBe(sensitivityOf(stat, contract, bands, segments));
  });

  it('the release draws noise with exactly those sensitivities and the policy epsilons', () => {
    const policy = base;
    const contract: Contract = { score: { min: 300, max: 900, step: 10 }, reasons: [], grades: [{ grade: 'A', min: 760 }, { grade: 'B', min: 700 }, { grade: 'C', min: 640 }, { grade: 'D', min: 580 }, { grade: 'E', min: 300 }] };
    const bands = bandsOf(contract, policy);
    const n = 60;
    const scores = Float64Array.from({ length: n }, (_, i) => 300 + 10 * ((i * 7) % 61));
    const labels = Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const codes = Float64Array.from({ length: n }, (_, i) => i % 3);
    const check = (statistics: Statistic[], expected: [number, number, number][]) => {
      const drawn: [number, number][] = [];
      const noise: NoiseFn = (s, e) => (drawn.push([s, e]), 0);
      releaseAggregate({ statistics, scores, contract, policy, labels, segments: { key: 'industry', codes, categories: ['a', 'b', 'c'] }, noise });
      const groups = new Map<string, number>();
      for (const [s, e] of drawn) groups.set(`${s}/${e}`, (groups.get(`${s}/${e}`) ?? 0) + 1);
      expect([...groups].map(([k, c]) => [...k.split('/').map(Number), c])).toEqual(expected);
    };
    const eps = policy.privacy.epsilonMicros;
    const L = 60;
    check(['count'], []);
    check(['meanScore'], [[L, eps.meanScore, 1]]);
    check(['histogram'], [[2, eps.histogram, bands.length]]);
    check(['segments'], [[L, eps.segments, 3]]);
    check(['backtest'], [[2, eps.backtest, 2 * bands.length]]);
    // the histogram of a backtest request is derived from its cells: no draw of its own
    check(['count', 'meanScore', 'histogram', 'backtest'], [[L, eps.meanScore, 1], [2, eps.backtest, 2 * bands.length]]);
  });
});
