// The benchmark registry: `dfix bench [NAME]` runs one group or all of them, in order.
import { BenchContext } from './context.js';
import { benchProjection, benchSeed } from './datasets.js';
import { benchImport } from './import.js';
import { benchApi } from './api.js';
import { benchEncryption } from './encryption.js';
import { benchLedger } from './ledger.js';
import { benchRuns } from './runs.js';
import { benchAttack } from './attack.js';
import { benchFormats, benchFormatsInExecutor, benchFormatsRun } from './formats.js';
import { benchCohort, benchExecutor } from './sandbox.js';
import { benchUtility } from './utility.js';
import type { Figure } from './report.js';

export type Bench = (ctx: BenchContext) => Promise<Figure[]>;

export const BENCHES: Record<string, Bench> = {
  seed: benchSeed,
  projection: benchProjection,
  // loading real data: seven source files imported back, against seeding the same size
  import: benchImport,
  executor: benchExecutor,
  // issue: row isolation; cohort at 1,000,000, subjects throughput, one merchant, then crash containment under attack
  sandbox: async (ctx) => [...(await benchCohort(ctx)), ...(await benchAttack(ctx))],
  attack: benchAttack,
  ledger: benchLedger,
  // issue: sealed release; a backtest over the vault end to end, /healthz during it, and released-AUC utility
  runs: async (ctx) => [...(await benchRuns(ctx)), ...(await benchUtility(ctx))],
  formats: async (ctx) => [...(await benchFormats(ctx)), ...(await benchFormatsInExecutor(ctx)), ...(await benchFormatsRun(ctx))],
  api: benchApi,
  encryption: benchEncryption,
};

export async function runBenches(names: readonly string[], subjects: number, onFigure: (f: Figure) => void): Promise<void> {
  const ctx = new BenchContext(subjects);
  try {
    for (const name of names) {
      for (const f of await (BENCHES[name] as Bench)(ctx)) onFigure(f);
    }
  } finally {
    ctx.dispose();
  }
}
