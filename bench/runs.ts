// Run-engine benchmarks: whole runs, and the share of time the release policy takes.
import fs from 'node:fs';
import path from 'node:path';
import { resolveConfig } from '../core/config.js';
import { readPackage } from '../models/package.js';
import { computeAggregates } from '../policies/aggregates.js';
import { checkOutputs } from '../policies/output-contract.js';
import { Platform } from '../sandbox/platform.js';
import { runAggregate, runSubjects } from '../sandbox/runs.js';
import { admitOrg, applyOrg, approveModel, authenticate, grantAccess, recordConsent, requestAccess, submitModel } from '../sandbox/workflows.js';
import { manifestSchema } from '../models/manifest.schema.js';
import type { BenchContext } from './context.js';
import { figure, timeMedian, type Figure } from './report.js';

export async function benchRuns(ctx: BenchContext): Promise<Figure[]> {
  await ctx.ensureVault();
  const dataDir = path.join(ctx.dir, 'platform');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.symlinkSync(path.join(ctx.dir, 'vault.sqlite'), path.join(dataDir, 'vault.sqlite'));
  const platform = await Platform.open(resolveConfig({ dataDir }, {}));
  const figures: Figure[] = [];
  try {
    const c = platform.ctx;
    const regulator = authenticate(c, (JSON.parse(fs.readFileSync(platform.bootstrapFile, 'utf8')) as { apiKey: string }).apiKey);
    const org = (kind: 'fintech' | 'bank' | 'channel') => authenticate(c, admitOrg(c, regulator, applyOrg(c, { name: kind, kind, uscc: '91350100M000100Y43' }).id).apiKey);
    const fintech = org('fintech');
    const bank = org('bank');
    const channel = org('channel');
    const pkg = readPackage(path.resolve('models/examples/merchant-scorecard'));
    const manifest = manifestSchema.parse(pkg.manifestJson);
    const model = (await submitModel(c, fintech, { manifest: pkg.manifestJson as Record<string, unknown>, source: pkg.source })).id;
    approveModel(c, regulator, model, {});
    grantAccess(c, fintech, requestAccess(c, bank, model, 'credit-assessment').id);
    const n = c.vault.info.subjects;

    // aggregate with backtest over the whole vault: each run asks a new question (no cache)
    const statistics = [['backtest'], ['backtest', 'count'], ['backtest', 'meanScore']] as const;
    const times: number[] = [];
    for (const s of statistics) {
      const t = performance.now();
      const a = await runAggregate(c, fintech, { mode: 'aggregate', modelId: model, cohort: {}, statistics: [...s] });
      times.push(performance.now() - t);
      if (a.status !== 'released') throw new Error(`bench run ${a.status}`);
    }
    const aggMs = times.sort((a, b) => a - b)[1] as number;
    const scores = new Float64Array(n).fill(600);
    const labels = c.vault.labels(null);
    const policyMs = timeMedian(3, () => {
      checkOutputs(scores, new Uint8Array(n * 3), n, manifest.output);
      computeAggregates({ statistics: ['backtest', 'count'], scores, contract: manifest.output, policy: c.policy.policy, labels });
    });
    figures.push(figure(`runs.aggregate-backtest.${n}`, aggMs, 'ms', policyMs, 'end to end (projection, sandbox, policy, record), median of 3; baseline: the policy step alone (ratio = 1 / its share); target under 5000 ms at 1,000,000'));

    // subjects: 1,000 consented merchants, fresh results
    const codes = c.vault.usccOf(Int32Array.from({ length: 1000 }, (_, i) => i * 7));
    for (const s of codes) recordConsent(c, channel, { subject: s, bank: bank.id, purpose: 'credit-assessment', expiresAt: '2099-01-01T00:00:00Z' });
    const t = performance.now();
    const r = await runSubjects(c, bank, { mode: 'subjects', modelId: model, subjects: codes, purpose: 'credit-assessment' });
    const subMs = performance.now() - t;
    if (r.results?.length !== 1000) throw new Error('bench subjects run incomplete');
    const contractMs = timeMedian(5, () => checkOutputs(new Float64Array(1000).fill(600), new Uint8Array(3000), 1000, manifest.output));
    figures.push(figure('runs.subjects.1000', subMs, 'ms', contractMs, 'fresh context per merchant, consent checked twice, recorded; baseline: the policy step alone; target under 2000 ms'));
  } finally {
    await platform.close();
  }
  return figures;
}
