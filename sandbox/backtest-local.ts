// `dfix model backtest DIR` (no --url): the package's model backtested on dummy merchants,
// locally, as the platform backtests it on the vault. The same steps as an aggregate run
// (sandbox/run/aggregate.ts): the batch module in a hardened batch (the executor's vetting
// lane: the code is nobody's approved code), the output contract (a row off the lattice or
// failing gets the default output), then policies/aggregates.ts `releaseAggregate` with the
// statistic `backtest`, which builds the platform's answer: AUC, KS, Gini and count and bad
// rate per band, with the policy's bands and thresholds. Dummy data holds no secret, so the
// noise is zero and there are no margins: the figures are exact.
import { DEFAULTS } from '../core/config.js';
import { catalog } from '../datasets/catalog.js';
import { dummyLabels, dummyMatrix } from '../datasets/dummy.js';
import { modelError } from '../models/errors.js';
import { parseManifest, type ModelPackage } from '../models/package.js';
import { runtimeModule } from '../models/runtime.js';
import { releaseAggregate, type BacktestResult } from '../policies/aggregates.js';
import type { Decision } from '../policies/decision.js';
import { loadPolicy, type LoadedPolicy } from '../policies/policy.schema.js';
import type { Executor } from '../workers/client.js';
import { checkedScores, contractOf, type Substituted } from './scoring.js';

export const BACKTEST_NOTE = 'dummy data, exact, no noise';

export interface LocalBacktest {
  note: typeof BACKTEST_NOTE;
  subjects: number;
  seed: number;
  /** Dummy merchants that defaulted (the label is visible in dummy data). */
  defaults: number;
  /** Merchants that got the manifest's default output (off the lattice, or the model threw on them). */
  substituted: Substituted;
  policy: string;
  /** The platform's backtest answer, computed with zero noise; margins are null (nothing is noised). */
  backtest: BacktestResult | null;
  /** The release rules as the platform lists them, with the noise step marked `zero-noise` and no margins rule. */
  decisions: Decision[];
}

export async function backtestPackage(pkg: ModelPackage, executor: Executor, options: { subjects: number; seed?: number; policy?: LoadedPolicy }): Promise<LocalBacktest> {
  const manifest = parseManifest(pkg.manifestJson);
  if (!manifest) throw modelError('MODEL_MANIFEST_INVALID');
  const runtime = runtimeModule(manifest, pkg.source, catalog());
  const seed = options.seed ?? DEFAULTS.seed;
  const n = options.subjects;
  const { data } = dummyMatrix(manifest.inputs, n, seed);
  const labels = dummyLabels(n, seed);
  const contract = contractOf(manifest);
  const out = await executor.execute({ mode: 'cohort', lane: 'vetting', source: runtime.batchSource, compiled: runtime.compiled, fields: manifest.inputs, reasons: contract.reasons, data });
  const { scores, substituted } = checkedScores(out, n, contract);
  const policy = options.policy ?? loadPolicy();
  const release = releaseAggregate({ statistics: ['backtest'], scores, contract, policy: policy.policy, labels, noise: () => 0 });
  const backtest = release.result?.backtest ?? null;
  let defaults = 0;
  for (const v of labels) defaults += v === 1 ? 1 : 0;
  return {
    note: BACKTEST_NOTE,
    subjects: n,
    seed,
    defaults,
    substituted,
    policy: policy.digest,
    backtest: backtest && {
      ...backtest,
      margins: { auc: null, ks: null, gini: null },
      bands: backtest.bands.map((b) => ({ ...b, countMargin: null, badRateMargin: null })),
    },
    // the platform's rules, as run here: the noise step drew nothing, and there are no margins
    decisions: release.decisions
      .filter((d) => d.rule !== 'release:margins')
      .map((d) => (d.rule === 'dp:noise' && d.action === 'noise' ? { ...d, action: 'zero-noise', params: { ...d.params, note: BACKTEST_NOTE } } : d)),
  };
}
