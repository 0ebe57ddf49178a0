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
