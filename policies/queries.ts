// The exact integer queries behind each statistic, before any noise. Inputs are already on
// the lattice (lattice indexes) and public segment codes; labels are the vault's hidden
// default flag (1 = defaulted, anything else = repaid). These vectors are what the
// sensitivities of policies/sensitivity.ts bound, and what the brute-force test enumerates.

export interface CohortData {
  /** Lattice index of each merchant's score, 0..L. */
  idx: Int32Array;
  /** Band of each lattice index (policies/bands.ts `bandIndex`). */
  bandOfIndex: Int32Array;
  bands: number;
  /** Hidden default label per merchant (backtest only). */
  labels?: Float64Array | undefined;
  /** Public segment code per merchant, -1 when in no declared category. */
  segment?: Int32Array | undefined;
  segments?: number | undefined;
}

/** Sum of lattice indexes (meanScore = min + step * sum / n). */
export function sumQuery(d: CohortData): Float64Array {
  let s = 0;
  for (let i = 0; i < d.idx.length; i++) s += d.idx[i] as number;
  return Float64Array.of(s);
}

/** Merchants per band. */
export function histogramQuery(d: CohortData): Float64Array {
  const out = new Float64Array(d.bands);
  for (let i = 0; i < d.idx.length; i++) (out[d.bandOfIndex[d.idx[i] as number] as number] as number)++;
  return out;
}

/** Sum of lattice indexes per public segment. */
export function segmentSumQuery(d: CohortData): Float64Array {
  const out = new Float64Array(d.segments ?? 0);
  if (!d.segment) return out;
  for (let i = 0; i < d.idx.length; i++) {
    const c = d.segment[i] as number;
    if (c >= 0 && c < out.length) out[c] = (out[c] as number) + (d.idx[i] as number);
  }
  return out;
}

/** Public merchants per segment (sensitivity 0 under the relation). */
export function segmentSizes(d: CohortData): Int32Array {
  const out = new Int32Array(d.segments ?? 0);
  if (!d.segment) return out;
  for (let i = 0; i < d.idx.length; i++) {
    const c = d.segment[i] as number;
    if (c >= 0 && c < out.length) (out[c] as number)++;
  }
  return out;
}

/** Backtest cells: [good_0 .. good_{B-1}, bad_0 .. bad_{B-1}] per band. */
export function backtestQuery(d: CohortData): Float64Array {
  const B = d.bands;
  const out = new Float64Array(2 * B);
  const labels = d.labels;
  for (let i = 0; i < d.idx.length; i++) {
    const band = d.bandOfIndex[d.idx[i] as number] as number;
    const bad = labels !== undefined && labels[i] === 1 ? 1 : 0;
    (out[bad * B + band] as number)++;
  }
  return out;
}
