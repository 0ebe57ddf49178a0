// Utility of the released backtest: bias and spread of the released AUC of the reference
// scorecard over repeated releases, against the true AUC of its lattice scores, at 1,600 and
// 20,000 merchants. Pure release functions only (no sandbox): the scores are computed by
// the reference model imported in plain Node. Not registered in bench/index.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../core/fs.js';
import { seedVault, Vault } from '../datasets/store.js';
import { manifestSchema, type Manifest } from '../models/manifest.schema.js';
import { costMicros, releaseAggregate, type NoiseFn, type Statistic } from '../policies/aggregates.js';
import { auc } from '../policies/backtest.js';
import { loadPolicy, type Policy } from '../policies/policy.schema.js';
import type { BenchContext } from './context.js';
import { figure, type Figure } from './report.js';

export interface ReferenceCohort {
  manifest: Manifest;
  scores: Float64Array;
  labels: Float64Array;
  /** AUC of the model's lattice scores against the labels (policies/backtest.ts `auc`). */
  trueAuc: number;
}

const REFERENCE_DIR = () => path.join(projectRoot(), 'models', 'examples', 'merchant-scorecard');

/** Seeds a vault of `subjects` merchants in a temporary directory and scores every merchant with the reference model. */
export async function referenceCohort(subjects: number, seed = 20240601): Promise<ReferenceCohort> {
  const manifest = manifestSchema.parse(JSON.parse(fs.readFileSync(path.join(REFERENCE_DIR(), 'manifest.json'), 'utf8')));
  const model = (await import(pathToFileURL(path.join(REFERENCE_DIR(), 'model.js')).href)) as { score: (row: Record<string, number | null>) => { score: number } };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfix-utility-'));
  try {
    const file = path.join(dir, 'vault.sqlite');
    seedVault(file, { subjects, seed });
    const vault = Vault.open(file);
    try {
      const { data } = vault.project(manifest.inputs, null);
      const k = manifest.inputs.length;
      const scores = new Float64Array(subjects);
      const row: Record<string, number | null> = {};
      for (let i = 0; i < subjects; i++) {
        manifest.inputs.forEach((name, j) => {
          const v = data[i * k + j] as number;
          row[name] = Number.isNaN(v) ? null : v;
        });
        scores[i] = model.score(row).score;
      }
      const labels = vault.labels(null);
      return { manifest, scores, labels, trueAuc: auc(scores, labels) };
    } finally {
      vault.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface AucFigures {
  subjects: number;
  releases: number;
  trueAuc: number;
  meanReleased: number;
  bias: number;
  sd: number;
  meanAbsError: number;
  /** Share of releases whose 95% margin covered the true AUC. */
  coverage: number;
  costMicros: number;
}

/** `releases` independent releases of a full backtest (count, mean, histogram, backtest). */
export function releasedAuc(c: ReferenceCohort, releases: number, policy: Policy = loadPolicy().policy, noise?: NoiseFn): AucFigures {
  const statistics: Statistic[] = ['count', 'meanScore', 'histogram', 'backtest'];
  const values: number[] = [];
  let covered = 0;
  for (let r = 0; r < releases; r++) {
    const { result } = releaseAggregate({ statistics, scores: c.scores, contract: c.manifest.output, policy, labels: c.labels, ...(noise ? { noise } : {}) });
    const b = result?.backtest;
    if (!b || b.auc === null) throw new Error('released backtest withheld');
    values.push(b.auc);
    if (b.margins.auc !== null && Math.abs(b.auc - c.trueAuc) <= b.margins.auc) covered++;
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
  const mae = values.reduce((a, b) => a + Math.abs(b - c.trueAuc), 0) / values.length;
  return { subjects: c.scores.length, releases, trueAuc: c.trueAuc, meanReleased: mean, bias: mean - c.trueAuc, sd, meanAbsError: mae, coverage: covered / releases, costMicros: costMicros(statistics, policy) };
}

export function formatAucFigures(f: AucFigures): string {
  const r = (x: number) => x.toFixed(4);
  return `n=${f.subjects} releases=${f.releases} epsilon=${f.costMicros / 1e6}: true AUC ${r(f.trueAuc)}, mean released ${r(f.meanReleased)}, bias ${r(f.bias)}, sd ${r(f.sd)}, mean abs error ${r(f.meanAbsError)}, 95% margin coverage ${(100 * f.coverage).toFixed(1)}%`;
}

/** Released-AUC bias and sd at 1,600 and 20,000 merchants (200 releases each), with the truth. */
export async function benchUtility(_ctx: BenchContext): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const subjects of [1600, 20_000]) {
    const f = releasedAuc(await referenceCohort(subjects), 200);
    console.log(formatAucFigures(f));
    const note = `true AUC ${f.trueAuc.toFixed(4)}, mean released ${f.meanReleased.toFixed(4)}, ${f.releases} releases at epsilon ${f.costMicros / 1e6}; baseline: the true AUC`;
    figures.push(figure(`utility.auc.${subjects}.mean`, f.meanReleased, 'AUC', f.trueAuc, note));
    figures.push(figure(`utility.auc.${subjects}.bias`, f.bias, 'AUC', null, `target |bias| <= ${subjects < 10_000 ? 0.02 : 0.005}`));
    figures.push(figure(`utility.auc.${subjects}.sd`, f.sd, 'AUC', null, `target <= ${subjects < 10_000 ? 0.04 : 0.01}`));
    figures.push(figure(`utility.auc.${subjects}.mae`, f.meanAbsError, 'AUC', null));
  }
  return figures;
}
