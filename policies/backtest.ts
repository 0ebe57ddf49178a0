// Backtest metrics of a credit score against the hidden default label, computed by the
// host. Convention: a higher score means a better credit (less likely to default).

/**
 * Area under the ROC curve: the probability that a non-defaulter scores above a
 * defaulter, ties counting one half (the Mann-Whitney U statistic over n0 * n1).
 * Rows with a NaN score or label are ignored. NaN when either class is empty.
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (!Number.isNaN(scores[i] as number) && !Number.isNaN(labels[i] as number)) idx.push(i);
  idx.sort((a, b) => (scores[a] as number) - (scores[b] as number));
  // Walk the scores upwards in tie groups: each good in a group ranks above every bad
  // strictly below it, and level with the bads of its own group (worth one half each).
  let goods = 0;
  let bads = 0;
  let correct = 0;
  for (let g = 0; g < idx.length; ) {
    const s = scores[idx[g] as number] as number;
    let groupGoods = 0;
    let groupBads = 0;
    let end = g;
    for (; end < idx.length && scores[idx[end] as number] === s; end++) {
      if ((labels[idx[end] as number] as number) === 1) groupBads++;
      else groupGoods++;
    }
    correct += groupGoods * bads + 0.5 * groupGoods * groupBads;
    goods += groupGoods;
    bads += groupBads;
    g = end;
  }
  if (goods === 0 || bads === 0) return NaN;
  return correct / (goods * bads);
}

// ---- Metrics from released band cells (post-processing of one noisy release) ----
// `good[j]` and `bad[j]` are merchants of band j (bands in ascending score order) that repaid
// and defaulted. They come from the consistent noisy cells, never from true ones.

/**
 * AUC over bands with ties inside a band counting one half: the trapezoidal area of the
 * empirical ROC through the band edges (Hanley and McNeil, Radiology 1982). NaN when a class
 * is empty.
 */
export function bandAuc(good: ArrayLike<number>, bad: ArrayLike<number>): number {
  let G = 0;
  let B = 0;
  let correct = 0;
  for (let j = 0; j < good.length; j++) {
    const g = good[j] as number;
    const b = bad[j] as number;
    correct += g * B + 0.5 * g * b;
    G += g;
    B += b;
  }
  return G > 0 && B > 0 ? correct / (G * B) : NaN;
}

/**
 * bandAuc corrected for the ties that coarse bands create. Trace the ROC as x = share of
 * defaulters, y = share of repayers at or below each band edge; the trapezoid joins the
 * vertices by chords. Between two vertices we instead take the parabola tangent at each
 * vertex to the geometric mean of the neighbouring chord slopes (likelihood ratios; at the
 * two end vertices, extrapolated geometrically) and add the area between chord and
 * parabola: 2/3 of the triangle formed by the chord and the two tangents (Archimedes,
 * "Quadrature of the Parabola", Prop. 17). Segments whose slopes are not monotone, or that
 * touch an empty cell, keep their chord. On the reference model's five grades, with exact
 * cells, this takes the banding bias from about -0.012 to within 0.001 at 20,000 and
 * 100,000 merchants (three vault seeds); it is a smoothing choice, not an identity.
 */
export function smoothedBandAuc(good: ArrayLike<number>, bad: ArrayLike<number>): number {
  const a = bandAuc(good, bad);
  if (Number.isNaN(a)) return a;
  const K = good.length;
  let G = 0;
  let B = 0;
  for (let j = 0; j < K; j++) {
    G += good[j] as number;
    B += bad[j] as number;
  }
  const dx = Array.from({ length: K }, (_, j) => (bad[j] as number) / B);
  const dy = Array.from({ length: K }, (_, j) => (good[j] as number) / G);
  const slope = (j: number) => ((dx[j] as number) > 0 && (dy[j] as number) > 0 ? (dy[j] as number) / (dx[j] as number) : NaN);
  // tangent slope at vertex v (between bands v - 1 and v): the geometric mean of the chord
  // slopes on either side; at the two ends, extrapolated so that the end chord's slope is
  // again the geometric mean of its two tangents
  const tangent = (v: number): number => {
    if (v > 0 && v < K) return Math.sqrt(slope(v - 1) * slope(v));
    if (K < 2) return NaN;
    const s = v === 0 ? slope(0) : slope(K - 1);
    return (s * s) / (v === 0 ? tangent(1) : tangent(K - 1));
  };
  let area = 0; // signed area between the chords and the curve, below the chords counted positive
  for (let j = 0; j < K; j++) {
    const s = slope(j);
    const sl = tangent(j);
    const sr = tangent(j + 1);
    if (!Number.isFinite(s) || !Number.isFinite(sl) || !Number.isFinite(sr) || sl === sr) continue;
    if (!((sl < s && s < sr) || (sl > s && s > sr))) continue;
    const w = dx[j] as number;
    const h = dy[j] as number;
    const x1 = (h - sr * w) / (sl - sr); // where the two tangents meet, from the left vertex
    if (!(x1 > 0 && x1 < w)) continue;
    const y1 = sl * x1;
    area += (2 / 3) * ((h * x1 - w * y1) / 2);
  }
  // AUC = 1 - area under the (defaulters, repayers) curve: area below the chords raises it
  return Math.min(1, Math.max(0, a + area));
}

/** Kolmogorov-Smirnov statistic over band edges: max |F_bad - F_good|. NaN when a class is empty. */
export function bandKs(good: ArrayLike<number>, bad: ArrayLike<number>): number {
  let G = 0;
  let B = 0;
  for (let j = 0; j < good.length; j++) {
    G += good[j] as number;
    B += bad[j] as number;
  }
  if (G <= 0 || B <= 0) return NaN;
  let cg = 0;
  let cb = 0;
  let ks = 0;
  for (let j = 0; j < good.length; j++) {
    cg += good[j] as number;
    cb += bad[j] as number;
    ks = Math.max(ks, Math.abs(cb / B - cg / G));
  }
  return ks;
}
