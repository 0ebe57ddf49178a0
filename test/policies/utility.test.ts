// Utility of the released backtest on the reference model's real scores (brief, item g4):
// over 200 releases, |mean released AUC - true AUC| <= 0.02 and sd <= 0.04 at 1,600
// merchants; <= 0.005 and <= 0.01 at 20,000. The true AUC is that of the model's lattice
// scores. Uses the platform's exact sampler (node:crypto), so the figures vary slightly
// from run to run; the printed numbers are the ones to quote.
import { beforeAll, describe, expect, it } from 'vitest';
import { formatAucFigures, referenceCohort, releasedAuc, type ReferenceCohort } from '../../bench/utility.js';

const RELEASES = 200;
const cohorts = new Map<number, ReferenceCohort>();

beforeAll(async () => {
  for (const n of [1600, 20_000]) cohorts.set(n, await referenceCohort(n));
}, 120_000);

describe('released AUC of the reference scorecard', () => {
  it.each([
    [1600, 0.02, 0.04],
    [20_000, 0.005, 0.01],
  ])('at %i merchants: |bias| <= %f, sd <= %f, at most 1 epsilon for the whole backtest', (n, maxBias, maxSd) => {
    const f = releasedAuc(cohorts.get(n) as ReferenceCohort, RELEASES);
    console.log(formatAucFigures(f));
    expect(f.costMicros).toBeLessThanOrEqual(1_000_000);
    expect(Math.abs(f.bias)).toBeLessThanOrEqual(maxBias);
    expect(f.sd).toBeLessThanOrEqual(maxSd);
  }, 300_000);
});
