// Done-when of the release work: an aggregate run of the reference model over a vault of
// 100,000 merchants releases a backtest whose AUC is within 0.02 of the true value, and
// suppresses what the rules require.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestSchema } from '../../models/manifest.schema.js';
import { readPackage } from '../../models/package.js';
import { auc } from '../../policies/backtest.js';
import { Executor } from '../../workers/client.js';
import { aggregate, REFERENCE, world, type World } from '../helpers/platform.js';
import type { AggregateResult } from '../../policies/aggregates.js';
import { rmDir } from '../helpers/tmp.js';

let executor: Executor;
let w: World;
beforeAll(async () => {
  executor = await Executor.start();
  w = await world(executor, { subjects: 100_000 });
}, 300_000);
afterAll(async () => {
  await w.platform.close();
  await executor.close();
  rmDir(w.dir);
});

describe('backtest over 100,000 merchants', () => {
  it('releases an AUC within 0.02 of the true value, with the zero and small cells suppressed', async () => {
    const ctx = w.platform.ctx;
    const run = await aggregate(w, w.fintech, { modelId: w.modelId, cohort: {}, statistics: ['backtest', 'count', 'segments'], segmentBy: 'industry' });
    expect(run.status).toBe('released');
    const a = { result: run.result as AggregateResult };
    // the true AUC, computed here from the same model in the same sandbox
    const m = manifestSchema.parse(readPackage(REFERENCE).manifestJson);
    const out = await executor.execute({ mode: 'cohort', source: readPackage(REFERENCE).source, fields: m.inputs, reasons: m.output.reasons, data: ctx.vault.project(m.inputs, null).data });
    const truth = auc(out.scores, ctx.vault.labels(null));
    console.log(`released AUC ${a.result!.backtest!.auc}, true AUC ${truth.toFixed(4)}`);
    expect(Math.abs((a.result!.backtest!.auc as number) - truth)).toBeLessThan(0.02);
    expect(a.result!.backtest!.gini).toBeCloseTo(2 * (a.result!.backtest!.auc as number) - 1, 3);
    expect(a.result!.backtest!.ks).toBeGreaterThan(0.2);
    // the cohort size is public under the neighbouring relation: released exactly
    expect(a.result!.count).toBe(100_000);
    const rows = a.result!.segments!.rows;
    expect(rows.find((r) => r.value === 'F')?.count).toBeGreaterThan(30_000);
    // industries with no merchants have no mean (a public empty segment)
    expect(rows.find((r) => r.value === 'A')?.meanScore ?? null).toBeNull();
  });
});
