// One benchmark figure: a value, the baseline measured in the same run, and their ratio.
export interface Figure {
  bench: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  note?: string;
}

export function figure(bench: string, value: number, unit: string, baseline: number | null, note?: string): Figure {
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    bench,
    value: round(value),
    unit,
    baseline: baseline === null ? null : round(baseline),
    ratio: baseline === null || baseline === 0 ? null : round(value / baseline),
    ...(note ? { note } : {}),
  };
}

export function formatFigure(f: Figure): string {
  const base = f.baseline === null ? '' : `  (baseline ${f.baseline} ${f.unit}, ratio ${f.ratio})`;
  return `${f.bench.padEnd(40)} ${String(f.value).padStart(12)} ${f.unit}${base}${f.note ? `  -- ${f.note}` : ''}`;
}

/** Median wall time in ms of `runs` calls. */
export function timeMedian(runs: number, fn: () => void): number {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    fn();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)] as number;
}
