// Overlap control against differencing (Denning 1979: trackers are found in O(log n)
// queries when only small cohorts are refused). Two cohorts released to the same
// organisation must differ by 0 merchants or by at least `minDifference`.
import type { Decision } from './decision.js';

/** |A symmetric-difference B| of two ascending index lists, stopping once it reaches `cap`. */
export function symmetricDifference(a: Int32Array, b: Int32Array, cap = Infinity): number {
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length && d < cap) {
    const x = a[i] as number;
    const y = b[j] as number;
    if (x === y) {
      i++;
      j++;
    } else if (x < y) {
      d++;
      i++;
    } else {
      d++;
      j++;
    }
  }
  return d + (a.length - i) + (b.length - j);
}

export function overlapDecision(cohort: Int32Array, earlier: Iterable<Int32Array>, minDifference: number): Decision {
  let closest = Infinity;
  for (const e of earlier) {
    const diff = symmetricDifference(cohort, e, minDifference);
    if (diff > 0 && diff < minDifference) {
      return { rule: 'overlap:min-difference', status: 'FAIL', action: 'deny', params: { minDifference } };
    }
    if (diff > 0) closest = Math.min(closest, diff);
  }
  return { rule: 'overlap:min-difference', status: 'PASS', action: 'none', params: { minDifference, comparedWithEarlier: Number.isFinite(closest) } };
}

/**
 * The same rule when cohorts are unions of public "atoms" (one combination of S1
 * categories each): the symmetric difference of two cohorts is the total size of the atoms
 * in exactly one of them, from public atom sizes. Cost: the atoms, not the merchants, so it
 * does not grow with the vault or with each release (attack A8: every release stored and
 * compared a full member list on the server's event loop).
 */
export function overlapByAtoms(atoms: readonly number[], earlier: Iterable<readonly number[]>, sizes: ArrayLike<number>, minDifference: number): Decision {
  const mine = new Set(atoms);
  let compared = false;
  for (const e of earlier) {
    const theirs = new Set(e);
    let diff = 0;
    for (const a of mine) if (!theirs.has(a)) diff += sizes[a] ?? 0;
    for (const a of theirs) if (!mine.has(a)) diff += sizes[a] ?? 0;
    if (diff > 0 && diff < minDifference) return { rule: 'overlap:min-difference', status: 'FAIL', action: 'deny', params: { minDifference } };
    if (diff > 0) compared = true;
  }
  return { rule: 'overlap:min-difference', status: 'PASS', action: 'none', params: { minDifference, comparedWithEarlier: compared } };
}
