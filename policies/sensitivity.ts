// The neighbouring relation of every release, and the L1 sensitivity of each statistic
// derived from it. Read docs/privacy.md for the same statement in plain words.
//
// RELATION (bounded differential privacy, "replace one"; Dwork and Roth, "The Algorithmic
// Foundations of Differential Privacy" (2014), Def. 2.4 with the bounded variant of Kifer
// and Machanavajjhala, "No Free Lunch in Data Privacy" (SIGMOD 2011), §2):
//   Two vaults D and D' are neighbours when they hold the same merchants with the same public
//   S1 attributes (industry, district, size band, registration-year band) and differ in the
//   other fields (features and the default label) of at most one merchant.
// Consequences:
//   - a cohort is chosen by S1 predicates only, so cohort and segment SIZES are equal in
//     neighbours: they are public and released exactly, at no cost;
//   - in a row-pure model run (each merchant's output a function of its own row only, which
//     the sandbox must guarantee), neighbours differ in at most one merchant's score, reasons
//     and label. The score is on the contract's lattice (policies/output-contract.ts), so
//     its lattice index lies in 0..L with L = (max - min) / step.
// Sensitivities (L1, worst case over neighbours; brute-forced in test/policies/sensitivity.test.ts):
//   count      the cohort size n                         0   (public)
//   meanScore  sum of lattice indexes (n public)         L   (one index moves from 0 to L)
//   histogram  merchants per fixed band                  2   (one merchant leaves a band, joins another)
//   segments   per public segment, sum of indexes        L   (a merchant sits in one fixed segment)
//   backtest   merchants per (band, label) cell          2   (one merchant leaves one cell, joins another)
// The discrete Laplace mechanism with scale sensitivity / epsilon is epsilon-DP for an integer
// vector query of that L1 sensitivity (Ghosh, Roughgarden, Sundararajan, "Universally
// Utility-Maximizing Privacy Mechanisms", STOC 2009; CKS 2020 §2), and statistics of one
// request compose by addition of their epsilons (Dwork and Roth, Thm 3.14).
import type { Band } from './bands.js';
import type { Contract } from './output-contract.js';

export const STATISTICS = ['count', 'meanScore', 'histogram', 'segments', 'backtest'] as const;
export type Statistic = (typeof STATISTICS)[number];

export const RELATION = 'bounded-replace-one' as const;

/** L = (max - min) / step: the largest change of one merchant's lattice index. */
export function latticeSpan(score: Contract['score']): number {
  return Math.floor((score.max - score.min) / score.step);
}

/**
 * The L1 sensitivity of a statistic's exact integer query under RELATION. Exact, not merely
 * an upper bound: the brute-force test asserts equality on small lattices.
 */
export function sensitivityOf(statistic: Statistic, contract: Contract, bands: readonly Band[], segments = 1): number {
  const L = latticeSpan(contract.score);
  switch (statistic) {
    case 'count':
      return 0;
    case 'meanScore':
      return L;
    case 'histogram':
      return bands.length > 1 ? 2 : 0;
    case 'segments':
      return segments > 0 ? L : 0;
    case 'backtest':
      return 2;
  }
}
