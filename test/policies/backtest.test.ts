import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auc } from '../../policies/backtest.js';

/** Every (good, bad) pair counted by hand: the definition itself. */
function bruteAuc(scores: number[], labels: number[]): number {
  let correct = 0;
  let pairs = 0;
  scores.forEach((sg, i) => {
    if (labels[i] !== 0) return;
    scores.forEach((sb, j) => {
      if (labels[j] !== 1) return;
      pairs++;
      correct += sg > sb ? 1 : sg === sb ? 0.5 : 0;
    });
  });
  return correct / pairs;
}

describe('AUC', () => {
  it('is 1 for a perfect score, 0 for a reversed one, 0.5 for a constant one', () => {
    expect(auc([900, 800, 400, 300], [0, 0, 1, 1])).toBe(1);
    expect(auc([300, 400, 800, 900], [0, 0, 1, 1])).toBe(0);
    expect(auc([500, 500, 500], [0, 1, 0])).toBe(0.5);
  });

  it('is NaN when a class is empty, and ignores NaN rows', () => {
    expect(auc([1, 2], [0, 0])).toBeNaN();
    expect(auc([900, NaN, 300], [0, 1, 1])).toBe(1);
  });

  it('matches the pairwise definition, ties included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 30, max: 90 }), fc.integer({ min: 0, max: 1 })), { minLength: 2, maxLength: 80 }),
        (rows) => {
          const s = rows.map((r) => r[0] * 10);
          const l = rows.map((r) => r[1]);
          if (!l.includes(0) || !l.includes(1)) return true;
          return Math.abs(auc(s, l) - bruteAuc(s, l)) < 1e-12;
        },
      ),
    );
  });
});
