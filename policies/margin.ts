// Margins of error of released numbers, computed only from public quantities: the noise
// scale (sensitivity / epsilon, both in the policy), the public cohort size n and the
// released values themselves. Nothing here reads a true cell, so a margin is
// post-processing and costs no privacy (Dwork and Roth 2014, Prop. 2.1).
import { createHash } from 'node:crypto';

/** q = exp(-epsilon / sensitivity): P(Z = z) proportional to q^|z| (CKS 2020, Def. 1). */
export function laplaceRatio(sensitivity: number, epsilonMicros: number): number {
  return Math.exp(-(epsilonMicros / 1e6) / sensitivity);
}

/** Variance of the discrete Laplace distribution: 2q / (1 - q)^2. */
export function laplaceVariance(sensitivity: number, epsilonMicros: number): number {
  if (sensitivity === 0) return 0;
  const q = laplaceRatio(sensitivity, epsilonMicros);
  return (2 * q) / (1 - q) ** 2;
}

/**
 * The smallest integer t with P(|Z| > t) <= 1 - level for discrete Laplace noise, using
 * P(|Z| > t) = 2 q^(t+1) / (1 + q): the half-width of a `level` interval around a value
 * released with that noise alone.
 */
export function laplaceHalfWidth(sensitivity: number, epsilonMicros: number, level = 0.95): number {
  if (sensitivity === 0) return 0;
  const q = laplaceRatio(sensitivity, epsilonMicros);
  const t = Math.ceil(Math.log(((1 - level) * (1 + q)) / 2) / Math.log(q) - 1);
  return Math.max(0, t);
}

/**
 * A deterministic generator for the parametric bootstrap, seeded from the released values:
 * sfc32 (Doty-Humphrey, PractRand). It never touches a secret: the bootstrap resamples the
 * public noise around the released cells, and a seed derived from them makes the margin a
 * reproducible function of the release. Not for privacy noise (that is policies/dp.ts).
 */
export function publicGenerator(released: ArrayLike<number>): () => number {
  const h = createHash('sha256').update(Float64Array.from(released as ArrayLike<number>)).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/**
 * Discrete Laplace draws for the bootstrap only, as the difference of two geometric
 * variables (Inusah and Kozubowski 2006). Floating-point inversion is acceptable here and
 * only here: the draws simulate public noise around public values (Mironov's 2012 attack
 * needs the secret in the sampler).
 */
export function bootstrapLaplace(rand: () => number, sensitivity: number, epsilonMicros: number): number {
  if (sensitivity === 0) return 0;
  const lq = Math.log(laplaceRatio(sensitivity, epsilonMicros));
  const geo = () => Math.floor(Math.log(1 - rand()) / lq);
  return geo() - geo();
}

/** Half the width of the central `level` interval of replicates (percentile bootstrap). */
export function percentileHalfWidth(replicates: readonly number[], level = 0.95): number | null {
  const xs = replicates.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length < 2) return null;
  const at = (p: number) => {
    const r = p * (xs.length - 1);
    const lo = Math.floor(r);
    const hi = Math.min(xs.length - 1, lo + 1);
    return (xs[lo] as number) + (r - lo) * ((xs[hi] as number) - (xs[lo] as number));
  };
  return (at(1 - (1 - level) / 2) - at((1 - level) / 2)) / 2;
}
