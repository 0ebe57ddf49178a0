// `dfix model backtest DIR [--subjects N] [--seed S]`, local (no --url): the package's model
// backtested on dummy merchants with their labels, in the real sandbox, and printed as the
// platform presents a backtest (sandbox/backtest-local.ts). Dummy data holds no secret: the
// figures are exact, with no noise and so no margins, and the output says so.
import path from 'node:path';
import { resolveConfig } from '../core/config.js';
import { isAppError } from '../core/errors.js';
import { readPackage } from '../models/package.js';
import { backtestPackage, type LocalBacktest } from '../sandbox/backtest-local.js';
import { Executor } from '../workers/client.js';
import { parseArgs } from './args.js';
import { cliError } from './errors.js';
import { printHelp } from './help.js';
import { table, type Io } from './output.js';

const MAX_SUBJECTS = 100_000;
const shown = (x: number | null) => (x === null ? '-' : String(x));

export function formatBacktest(r: LocalBacktest): string {
  const lines = [`${r.note}: ${r.subjects} dummy merchants (seed ${r.seed}), ${r.defaults} defaulted; policy ${r.policy}`];
  const sub = r.substituted;
  if (sub.failed + sub.offLattice + sub.undeclared > 0) lines.push(`default output given to ${sub.failed} failed, ${sub.offLattice} off-lattice, ${sub.undeclared} with undeclared reasons`);
  const b = r.backtest;
  if (!b) {
    lines.push(`no backtest released: ${r.decisions.filter((d) => d.status === 'FAIL').map((d) => d.rule).join(', ') || 'refused'}`);
    return lines.join('\n');
  }
  lines.push(`AUC ${shown(b.auc)}  KS ${shown(b.ks)}  Gini ${shown(b.gini)}`);
  lines.push(table(['band', 'scores', 'count', 'bad rate'], b.bands.map((x) => [x.label, `${x.from}-${x.to}`, shown(x.count), shown(x.badRate)])));
  return lines.join('\n');
}

export async function backtestCommand(argv: readonly string[], io: Io): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { subjects: 'int', seed: 'int' });
  if (flags.help) return printHelp(io, 'model backtest');
  if (positionals.length !== 1) throw cliError('CLI_BAD_ARGUMENT');
  const n = flags.subjects ?? 2000;
  if (n < 1 || n > MAX_SUBJECTS) throw cliError('CLI_BAD_FLAG', { detail: '--subjects' });
  if (flags.seed !== undefined && (flags.seed < 0 || flags.seed > 0xffffffff)) throw cliError('CLI_BAD_FLAG', { detail: '--seed' });
  const pkg = readPackage(path.resolve(positionals[0] as string));
  const executor = await Executor.start({ confinement: resolveConfig({}).confinement });
  let result: LocalBacktest;
  try {
    result = await backtestPackage(pkg, executor, { subjects: n, ...(flags.seed !== undefined ? { seed: flags.seed } : {}) });
  } catch (e) {
    // the model failed the batch (as an aggregate run would fail): say so, as `model try` does
    if (!isAppError(e) || !e.code.startsWith('SANDBOX_')) throw e;
    io.out(flags.json ? JSON.stringify({ ok: false, error: { code: e.code } }) : `failed: ${e.code}\nthe batch failed as a run on the platform would; \`dfix model try ${positionals[0]} --mode cohort\` shows the model's own error`);
    return 1;
  } finally {
    await executor.close();
  }
  io.out(flags.json ? JSON.stringify({ ok: true, ...result }) : formatBacktest(result));
  return 0;
}
