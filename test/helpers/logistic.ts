// A plain logistic regression fitted by Newton's method (IRLS), used by the tests to fit a
// scorecard on dummy data. Missing values are imputed with the training median.

export interface LogisticModel {
  medians: number[];
  means: number[];
  sds: number[];
  weights: number[]; // intercept first
}

function median(xs: number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length ? (s[Math.floor(s.length / 2)] as number) : 0;
}

function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i] as number]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

export function fitLogistic(x: number[][], y: number[], iterations = 12, ridge = 1e-3): LogisticModel {
  const k = x[0]?.length ?? 0;
  const medians = Array.from({ length: k }, (_, j) => median(x.map((r) => r[j] as number)));
  const filled = x.map((r) => r.map((v, j) => (Number.isNaN(v) ? medians[j]! : v)));
  const means = Array.from({ length: k }, (_, j) => filled.reduce((a, r) => a + r[j]!, 0) / filled.length);
  const sds = Array.from({ length: k }, (_, j) => Math.sqrt(filled.reduce((a, r) => a + (r[j]! - means[j]!) ** 2, 0) / filled.length) || 1);
  const z = filled.map((r) => [1, ...r.map((v, j) => (v - means[j]!) / sds[j]!)]);
  let w = new Array(k + 1).fill(0) as number[];
  for (let it = 0; it < iterations; it++) {
    const h = Array.from({ length: k + 1 }, () => new Array(k + 1).fill(0) as number[]);
    const g = new Array(k + 1).fill(0) as number[];
    z.forEach((row, i) => {
      const p = 1 / (1 + Math.exp(-row.reduce((a, v, j) => a + v * w[j]!, 0)));
      const s = p * (1 - p);
      for (let a = 0; a <= k; a++) {
        g[a]! += (y[i]! - p) * row[a]!;
        for (let b = 0; b <= k; b++) h[a]![b]! += s * row[a]! * row[b]!;
      }
    });
    for (let a = 0; a <= k; a++) h[a]![a]! += ridge;
    const step = solve(h, g);
    w = w.map((v, j) => v + step[j]!);
  }
  return { medians, means, sds, weights: w };
}

/** Probability of default under the fitted model. */
export function predict(m: LogisticModel, row: number[]): number {
  let t = m.weights[0]!;
  row.forEach((v, j) => {
    const x = Number.isNaN(v) ? m.medians[j]! : v;
    t += m.weights[j + 1]! * ((x - m.means[j]!) / m.sds[j]!);
  });
  return 1 / (1 + Math.exp(-t));
}
