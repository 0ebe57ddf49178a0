// The samplers match the discrete Laplace and discrete Gaussian distributions: chi-square
// against the exact probabilities (CKS 2020), with a fixed, generous critical value.
import { describe, expect, it } from 'vitest';
import { bernoulliExp, discreteGaussian, discreteLaplace, laplaceNoise, uniformBelow } from '../../policies/dp.js';

/**
 * Chi-square statistic of observed counts against expected probabilities. Cells expecting
 * fewer than 5 draws (the far tails) are pooled into one cell, as the test requires.
 */
function chiSquare(samples: number[], pmf: (z: number) => number, range: number): { stat: number; dof: number } {
  const counts = new Map<number, number>();
  for (const s of samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const n = samples.length;
  let stat = 0;
  let cells = 0;
  let restObserved = n;
  let restExpected = n;
  for (let z = -range; z <= range; z++) {
    const e = pmf(z) * n;
    if (e < 5) continue;
    const o = counts.get(z) ?? 0;
    restObserved -= o;
    restExpected -= e;
    stat += (o - e) ** 2 / e;
    cells++;
  }
  if (restExpected >= 5) {
    stat += (restObserved - restExpected) ** 2 / restExpected;
    cells++;
  } else if (restObserved > 10) {
    stat += 1e9; // far more tail draws than the distribution allows
  }
  return { stat, dof: cells - 1 };
}

/** Chi-square critical value at p = 1e-6 (Wilson-Hilferty): a correct sampler practically never fails. */
function critical(dof: number): number {
  const z = 4.75;
  return dof * (1 - 2 / (9 * dof) + z * Math.sqrt(2 / (9 * dof))) ** 3;
}

describe('exact samplers', () => {
  it('draws uniform integers, and Bernoulli(exp(-g)) with the right rate', () => {
    const n = 20_000;
    let ones = 0;
    for (let i = 0; i < n; i++) if (bernoulliExp(3n, 2n)) ones++;
    expect(Math.abs(ones / n - Math.exp(-1.5))).toBeLessThan(0.015);
    const big = 10n ** 20n;
    for (let i = 0; i < 100; i++) {
      const u = uniformBelow(big);
      expect(u >= 0n && u < big).toBe(true);
    }
  });

  it.each([
    [1n, 1n],
    [3n, 1n],
    [7n, 2n],
  ])('discrete Laplace with scale %s/%s matches its exact distribution', (s, t) => {
    const scale = Number(s) / Number(t); // scale num/den
    const q = Math.exp(-1 / scale);
    const pmf = (z: number) => ((1 - q) / (1 + q)) * q ** Math.abs(z);
    const samples = Array.from({ length: 30_000 }, () => Number(discreteLaplace(s, t)));
    const { stat, dof } = chiSquare(samples, pmf, Math.ceil(scale * 6));
    expect(stat).toBeLessThan(critical(dof));
    expect(samples.every(Number.isInteger)).toBe(true);
  });

  it.each([
    [1n, 1n],
    [9n, 2n],
    [25n, 1n],
  ])('discrete Gaussian with variance %s/%s matches its exact distribution', (num, den) => {
    const v = Number(num) / Number(den);
    const range = Math.ceil(Math.sqrt(v) * 7);
    let norm = 0;
    for (let z = -range * 3; z <= range * 3; z++) norm += Math.exp(-(z * z) / (2 * v));
    const pmf = (z: number) => Math.exp(-(z * z) / (2 * v)) / norm;
    const samples = Array.from({ length: 20_000 }, () => Number(discreteGaussian(num, den)));
    const { stat, dof } = chiSquare(samples, pmf, range);
    expect(stat).toBeLessThan(critical(dof));
  });

  it('scales noise to sensitivity over epsilon', () => {
    const spread = (sens: number) => {
      const xs = Array.from({ length: 4000 }, () => Math.abs(laplaceNoise(sens, 500_000)));
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    // mean |Z| of discrete Laplace is close to the scale sensitivity / epsilon
    expect(spread(60)).toBeGreaterThan(90);
    expect(spread(60)).toBeLessThan(150);
    expect(spread(1)).toBeLessThan(3);
  });
});
