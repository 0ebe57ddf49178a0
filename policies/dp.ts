// Exact integer samplers for differential privacy, after Canonne, Kamath and Steinke, "The
// Discrete Gaussian for Differential Privacy" (NeurIPS 2020), Algorithms 1-3. Randomness
// comes only from node:crypto and every step is exact rational arithmetic: never the
// language's non-cryptographic generator,
// and no floating-point inverse-CDF sampling, whose low bits leak (Mironov 2012).
import { randomBytes, randomInt } from 'node:crypto';

/** A uniform integer in [0, n), n > 0, from node:crypto. */
export function uniformBelow(n: bigint): bigint {
  if (n <= 0n) throw new RangeError('uniformBelow: n must be positive');
  if (n <= 0xffffffffffffn) return BigInt(randomInt(0, Number(n)));
  const bytes = Math.ceil(n.toString(2).length / 8) + 1;
  const space = 1n << BigInt(bytes * 8);
  const limit = space - (space % n); // reject the tail so every residue is equally likely
  for (;;) {
    const v = BigInt(`0x${randomBytes(bytes).toString('hex')}`);
    if (v < limit) return v % n;
  }
}

/** Bernoulli(num/den), 0 <= num <= den. */
export function bernoulli(num: bigint, den: bigint): boolean {
  return uniformBelow(den) < num;
}

/** CKS Algorithm 1: Bernoulli(exp(-num/den)) for num/den >= 0. */
export function bernoulliExp(num: bigint, den: bigint): boolean {
  if (num < 0n || den <= 0n) throw new RangeError('bernoulliExp: gamma must be >= 0');
  while (num > den) {
    // exp(-gamma) = exp(-1)^floor(gamma) * exp(-(gamma - floor(gamma)))
    if (!bernoulliExp(1n, 1n)) return false;
    num -= den;
  }
  // 0 <= gamma <= 1: draw Bernoulli(gamma / k) for k = 1, 2, ... until one fails; the
  // index k of that failure is odd with probability exp(-gamma).
  let k = 1n;
  while (bernoulli(num, den * k)) k++;
  return k % 2n === 1n;
}

/**
 * CKS Algorithm 2: the discrete Laplace distribution of scale num/den (num, den positive
 * integers): P(Z = z) proportional to exp(-|z| den / num). (In the paper's names, t = num
 * and s = den: the algorithm outputs Lap_Z(t/s).)
 */
export function discreteLaplace(num: bigint, den: bigint): bigint {
  if (num <= 0n || den <= 0n) throw new RangeError('discreteLaplace: scale must be positive');
  const t = num;
  const s = den;
  for (;;) {
    const u = uniformBelow(t);
    if (!bernoulliExp(u, t)) continue;
    let v = 0n;
    while (bernoulliExp(1n, 1n)) v++;
    const x = u + t * v;
    const y = x / s; // floor for non-negative BigInt
    const negative = bernoulli(1n, 2n);
    if (negative && y === 0n) continue;
    return negative ? -y : y;
  }
}

/**
 * CKS Algorithm 3: the discrete Gaussian with variance parameter sigma^2 = num/den:
 * P(Z = z) proportional to exp(-z^2 / (2 sigma^2)).
 */
export function discreteGaussian(num: bigint, den: bigint): bigint {
  if (num <= 0n || den <= 0n) throw new RangeError('discreteGaussian: variance must be positive');
  // t = floor(sigma) + 1, with sigma = sqrt(num/den)
  let t = 1n;
  while (t * t * den <= num) t++;
  for (;;) {
    const y = discreteLaplace(t, 1n); // Lap_Z(t)
    const a = (y < 0n ? -y : y) * t * den - num; // (|y| - sigma^2/t) * t * den
    // gamma = (|y| - sigma^2/t)^2 / (2 sigma^2) = a^2 / (t^2 den^2) / (2 num / den)
    const gNum = a * a;
    const gDen = 2n * num * t * t * den;
    if (bernoulliExp(gNum, gDen)) return y;
  }
}

/** Noise for a statistic of L1 sensitivity `sensitivity` at epsilon = micros / 1e6: scale sensitivity / epsilon. */
export function laplaceNoise(sensitivity: number, epsilonMicros: number): number {
  return Number(discreteLaplace(BigInt(sensitivity) * 1_000_000n, BigInt(epsilonMicros)));
}
