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
