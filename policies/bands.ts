// Score bands, fixed from public documents before any data is read: the manifest's grades
// when it declares them, otherwise at most `privacy.maxBands` equal bands of the lattice.
// Because a band's edges never depend on the data, a histogram or backtest over the bands
// is a fixed vector query whose sensitivity can be stated in advance (policies/sensitivity.ts).
import type { Contract } from './output-contract.js';
import type { Policy } from './policy.schema.js';

export interface Band {
  label: string;
  /** Lowest and highest lattice score in the band, both included. */
  from: number;
  to: number;
}

/** Number of lattice values of a contract: (max - min) / step + 1. */
export function latticeValues(score: Contract['score']): number {
  return Math.floor((score.max - score.min) / score.step) + 1;
}

/**
 * The bands of a contract, lowest scores first.
 *
 * Grades (highest first, each `{ grade, min }`, a score taking the first grade whose min it
 * reaches) become one band each, on the lattice; scores below the lowest grade form an
 * ungraded band "-", as `gradeOf` returns null for them. Grades whose band holds no lattice
 * value are dropped (a property of the contract, not of data). Without grades, or when the
 * grades make more than `maxBands` bands, the lattice is cut into min(maxBands, values) near-equal bands:
 * band k holds indexes floor(k V / K) .. floor((k + 1) V / K) - 1.
 */
export function bandsOf(contract: Contract, policy: Policy): Band[] {
  const { min, step } = contract.score;
  const V = latticeValues(contract.score);
  const at = (i: number) => min + i * step;
  const grades = contract.grades ?? [];
  if (grades.length > 0) {
    const out: Band[] = [];
    // first lattice index of each grade, highest grade first; clamp into [0, V]
    let top = V; // exclusive upper index of the next band down
    for (const g of grades) {
      const first = Math.min(V, Math.max(0, Math.ceil((g.min - min) / step)));
      if (first < top) out.push({ label: g.grade, from: at(first), to: at(top - 1) });
      top = Math.min(top, first);
    }
    if (top > 0) out.push({ label: '-', from: at(0), to: at(top - 1) });
    if (out.length <= policy.privacy.maxBands) return out.reverse();
  }
  const K = Math.min(policy.privacy.maxBands, V);
  const out: Band[] = [];
  for (let k = 0; k < K; k++) {
    const lo = Math.floor((k * V) / K);
    const hi = Math.floor(((k + 1) * V) / K) - 1;
    out.push({ label: `${at(lo)}-${at(hi)}`, from: at(lo), to: at(hi) });
  }
  return out;
}

/** Lattice index -> band index, for every lattice value. */
export function bandIndex(bands: readonly Band[], score: Contract['score']): Int32Array {
  const V = latticeValues(score);
  const out = new Int32Array(V).fill(-1);
  bands.forEach((b, j) => {
    for (let s = b.from; s <= b.to; s += score.step) out[(s - score.min) / score.step] = j;
  });
  return out;
}
