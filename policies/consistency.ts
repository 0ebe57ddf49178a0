// Consistent post-processing of noised counts: non-negative integers that sum exactly to a
// public total. It reads only noised values and public totals, so it costs no privacy
// (post-processing, Dwork and Roth 2014, Prop. 2.1). It replaces clamping each cell at zero,
// which adds mass to every empty cell and biased the released AUC by about -0.1 at 1,600
// merchants (../shared/NOTES.md).

/**
 * The Euclidean projection of y onto { x : x >= 0, sum x = total }: x_i = max(0, y_i - tau),
 * tau chosen so the sum is `total`. Held, Wolfe and Crowder, "Validation of subgradient
 * optimization" (Math. Programming 1974); the sort-based algorithm of Duchi, Shalev-Shwartz,
 * Singer and Chandra, "Efficient Projections onto the l1-Ball" (ICML 2008), Fig. 1.
 * This is also the least-squares estimate of the cells under the constraint (Hay, Rastogi,
 * Miklau, Suciu, "Boosting the Accuracy of Differentially Private Histograms Through
 * Consistency", VLDB 2010, use the same principle for hierarchical counts).
 */
export function projectSimplex(y: ArrayLike<number>, total: number): Float64Array {
  const k = y.length;
  const out = new Float64Array(k);
  if (k === 0 || total <= 0) return out;
  const s = Float64Array.from(y).sort().reverse(); // descending
  let cum = 0;
  let tau = 0;
  for (let i = 0; i < k; i++) {
    cum += s[i] as number;
    const t = (cum - total) / (i + 1);
    if ((s[i] as number) - t > 0) tau = t;
  }
  for (let i = 0; i < k; i++) out[i] = Math.max(0, (y[i] as number) - tau);
  return out;
}

/**
 * Integers that sum to `total`, each the floor or ceiling of x_i: the largest-remainder
 * (Hamilton) method of apportionment (Balinski and Young, "Fair Representation", 1982).
 * Ties go to the lower index, so the result is a deterministic function of x.
 */
export function roundLargestRemainder(x: ArrayLike<number>, total: number): Int32Array {
  const k = x.length;
  const out = new Int32Array(k);
  if (k === 0) return out;
  let sum = 0;
  for (let i = 0; i < k; i++) {
    out[i] = Math.max(0, Math.floor(x[i] as number));
    sum += out[i] as number;
  }
  const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => (x[b] as number) - (out[b] as number) - ((x[a] as number) - (out[a] as number)) || a - b);
  let rest = total - sum;
  for (let t = 0; rest > 0; t = (t + 1) % k, rest--) out[order[t] as number] = (out[order[t] as number] as number) + 1;
  // floating-point slack can leave the floors a unit above the total: take it back from the largest cells
  for (let t = 0; rest < 0; t = (t + 1) % k) {
    const i = order[k - 1 - t] as number;
    if ((out[i] as number) > 0) {
      out[i] = (out[i] as number) - 1;
      rest++;
    }
  }
  return out;
}

/** Noised counts -> non-negative integers summing to the public total. */
export function consistentCounts(noisy: ArrayLike<number>, total: number): Int32Array {
  if (noisy.length === 0) return new Int32Array(0);
  return roundLargestRemainder(projectSimplex(noisy, total), Math.max(0, total));
}
