// The benchmark registry: `dfix bench [NAME]` runs one group or all of them, in order.
import { BenchContext } from './context.js';
import { benchProjection, benchSeed } from './datasets.js';
import { benchApi } from './api.js';
import { benchEncryption } from './encryption.js';
import { benchLedger } from './ledger.js';
import { benchRuns } from './runs.js';
import { benchCohort, benchExecutor } from './sandbox.js';
import type { Figure } from './report.js';

export type Bench = (ctx: BenchContext) => Promise<Figure[]>;

export const BENCHES: Record<string, Bench> = {
  seed: benchSeed,
  projection: benchProjection,
  executor: benchExecutor,
  sandbox: benchCohort,
  ledger: benchLedger,
  runs: benchRuns,
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
