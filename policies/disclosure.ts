// Disclosure-control thresholds, applied as post-processing. Under the relation of
// policies/sensitivity.ts a threshold may read only public quantities (cohort and segment
// sizes) or values that already carry their noise; a threshold on a true cell releases a
// bit of the secret through the pattern of what is withheld (found by attackers 4/4 times).
// ACRO's dominance and p-ratio rules are gone: they guard magnitudes that a few large
// contributors dominate, while every contribution here is a lattice index bounded by L and
// noise calibrated to that bound already protects the largest contributor (docs/privacy.md).
// US Census DRB: at most 4 significant figures for magnitudes.
import type { Policy } from './policy.schema.js';

export type Threshold = 'sdc:k-min' | 'sdc:zeros';

/**
 * A threshold on a PUBLIC count (a cohort or segment size) or a NOISED count; never call it
 * on a true cell. Zero counts first (when zeros are disclosive), then k-min.
 */
export function belowThreshold(count: number, d: Policy['disclosure']): Threshold | null {
  if (count === 0) return d.zerosDisclosive ? 'sdc:zeros' : null;
  if (count < d.kMin) return 'sdc:k-min';
  return null;
}

/**
 * @deprecated Kept so the run pipeline compiles until it moves to `belowThreshold`; same
 * rule, on a public count only (the cohort size).
 */
export function primarySuppression(cell: { count: number }, d: Policy['disclosure']): Threshold | null {
  return belowThreshold(cell.count, d);
}

/** A magnitude with at most `figures` significant figures. */
export function significant(x: number, figures: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(figures));
}
