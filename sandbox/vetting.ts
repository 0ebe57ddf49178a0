// Vetting a model package: the static checks of models/ (manifest, contract, the pure-module
// discipline on the parsed source), what a hardened context found when it evaluated the
// module, and a dry run on dummy data. Everything runs in the executor's vetting lane, a
// process that never scores for banks. The dry run draws fresh dummy merchants from a
// secret seed each time, so a model cannot recognise its examination: two runs must agree
// (determinism), every output must honour the contract, all-missing rows must not make it
// fail, and scoring each merchant alone in a fresh context must give what the hardened
// batch gave (a model that carries one merchant into another's score fails here). The dry
// run also measures the model's cost per row, from which run deadlines are computed.
import { randomInt } from 'node:crypto';
import { dummyMatrixInThread } from '../datasets/dummy-thread.js';
import { isAppError } from '../core/errors.js';
import type { Manifest } from '../models/manifest.schema.js';
import type { ModelPackage } from '../models/package.js';
import { moduleChecks, report, type Check, type VettingReport } from '../models/vetting.js';
import { staticVettingInThread } from './model-thread.js';
import type { Executor, ExecuteResult } from '../workers/client.js';
import { REASON_SLOTS } from '../workers/protocol.js';

/** Dummy merchants of the dry run's contract checks, and of its cost measurement. */
export const DRY_RUN_SUBJECTS = 200;
/** One generator chunk: generating dummy rows costs about 0.1 ms each (on a worker thread). */
export const COST_SUBJECTS = 4096;
const ALONE_SUBJECTS = 24;

const pass = (id: string, reason: string): Check => ({ id, status: 'pass', reason });
const fail = (id: string, reason: string): Check => ({ id, status: 'fail', reason });
const codeOf = (e: unknown): string => (isAppError(e) ? e.code : 'INTERNAL_ERROR');

/** What vetting measured, beside its checks: the model's cost, for deadlines. */
export interface VettingCost {
  /** CPU per row in a hardened batch, microseconds (median of the measurement). */
  perRowMicros: number;
  rows: number;
}

function same(a: ExecuteResult, b: ExecuteResult, rows = a.scores.length): boolean {
  for (let i = 0; i < rows; i++) if (!Object.is(a.scores[i], b.scores[i])) return false;
  for (let i = 0; i < rows * REASON_SLOTS; i++) if (a.reasons[i] !== b.reasons[i]) return false;
  return true;
}

function onContract(r: ExecuteResult, rows: number, m: Manifest): boolean {
  const { min, max, step } = m.output.score;
  for (let i = 0; i < rows; i++) {
    const s = r.scores[i] as number;
    if (!Number.isInteger(s) || s < min || s > max || (s - min) % step !== 0) return false;
  }
  for (let i = 0; i < rows * REASON_SLOTS; i++) if ((r.reasons[i] as number) > m.output.reasons.length) return false;
  return true;
}

async function dryRun(source: string, batchSource: string, compiled: boolean, m: Manifest, executor: Executor): Promise<{ checks: Check[]; cost: VettingCost | null }> {
  // secret and fresh each time: a model cannot behave on exactly these rows
  const seed = randomInt(1, 2 ** 31);
  const { data } = await dummyMatrixInThread(m.inputs, COST_SUBJECTS, seed);
  // budgets for code nobody has approved: a dry run of 200 rows gets 2 s, the cost measurement 10 s
  const base = { source, fields: m.inputs, reasons: m.output.reasons, lane: 'vetting' as const, timeoutMs: 2000 };
  const small = data.slice(0, DRY_RUN_SUBJECTS * m.inputs.length);
  let first: ExecuteResult;
  try {
    first = await executor.execute({ ...base, mode: 'cohort', data: small });
  } catch (e) {
    return { checks: [fail('dryrun.runs', `failed on dummy data with ${codeOf(e)}`)], cost: null };
  }
  const checks = [pass('dryrun.runs', `scored ${DRY_RUN_SUBJECTS} dummy merchants drawn for this vetting`)];
  try {
    const second = await executor.execute({ ...base, mode: 'cohort', data: small });
    checks.push(same(first, second) ? pass('dryrun.deterministic', 'two runs gave identical outputs') : fail('dryrun.deterministic', 'two runs on the same rows differ'));
  } catch (e) {
    checks.push(fail('dryrun.deterministic', `the second run failed with ${codeOf(e)}`));
  }
  checks.push(onContract(first, DRY_RUN_SUBJECTS, m) ? pass('dryrun.contract', 'every score on the lattice, every reason declared') : fail('dryrun.contract', 'outputs off the lattice or with undeclared reasons'));
  try {
    const missing = new Float64Array(8 * m.inputs.length).fill(NaN);
    const r = await executor.execute({ ...base, mode: 'cohort', data: missing });
    checks.push(onContract(r, 8, m) ? pass('dryrun.missing', 'all-missing rows score within the contract') : fail('dryrun.missing', 'all-missing rows give outputs outside the contract'));
  } catch (e) {
    checks.push(fail('dryrun.missing', `all-missing rows made the model fail with ${codeOf(e)}`));
  }
  try {
    const alone = await executor.execute({ ...base, mode: 'subjects', data: small.slice(0, ALONE_SUBJECTS * m.inputs.length) });
    const failedAlone = alone.failed.some((f) => f === 1);
    checks.push(
      !failedAlone && same(first, alone, ALONE_SUBJECTS)
        ? pass('dryrun.stateless', 'each merchant scores the same alone, in a fresh context, as in a hardened batch')
        : fail('dryrun.stateless', 'scores depend on other merchants of the batch, or the model fails alone'),
    );
  } catch (e) {
    checks.push(fail('dryrun.stateless', `scoring merchants alone failed with ${codeOf(e)}`));
  }
  if (compiled) {
    // a model as data: the aggregate lane scores it through the compiled module's batch
    // evaluator, which must agree with the row evaluator banks get, merchant by merchant
    try {
      const batch = await executor.execute({ ...base, source: batchSource, compiled: true, mode: 'cohort', data: small });
      const agree = first.scores.every((s, i) => Object.is(s, batch.scores[i]));
      checks.push(agree ? pass('dryrun.batch', 'the batch evaluator (aggregates) gives every merchant the score the row evaluator gives') : fail('dryrun.batch', 'the batch evaluator and the row evaluator disagree on a dummy merchant'));
    } catch (e) {
      checks.push(fail('dryrun.batch', `the batch evaluator failed with ${codeOf(e)}`));
    }
  }
  // cost: the marginal CPU per row in a hardened batch (a fresh isolate's warm-up is the
  // same for any size, so it is measured at two sizes and their difference taken); the
  // least of three runs at each size, since whatever else runs on the machine only adds
  let cost: VettingCost | null = null;
  try {
    const big = new Float64Array(data.length * 4);
    for (let i = 0; i < 4; i++) big.set(data, i * data.length);
    const cpu = async (d: Float64Array) => {
      const runs: number[] = [];
      for (let i = 0; i < 3; i++) runs.push((await executor.execute({ ...base, source: batchSource, compiled, mode: 'cohort', data: d, timeoutMs: 10_000 })).cpuMs);
      return Math.min(...runs);
    };
    const small4k = await cpu(data);
    const large = await cpu(big);
    const slope = ((large - small4k) * 1000) / (3 * COST_SUBJECTS);
    const perRow = slope > 0 ? slope : (large * 1000) / (4 * COST_SUBJECTS);
    cost = { perRowMicros: Math.max(0.1, Math.round(perRow * 100) / 100), rows: 4 * COST_SUBJECTS };
    checks.push(pass('dryrun.cost', `${cost.perRowMicros} us of CPU per merchant in a hardened batch (marginal, from ${COST_SUBJECTS} and ${4 * COST_SUBJECTS} merchants)`));
  } catch (e) {
    checks.push(fail('dryrun.cost', `scoring ${4 * COST_SUBJECTS} dummy merchants failed with ${codeOf(e)}`));
  }
  return { checks, cost };
}

export async function vetPackage(pkg: ModelPackage, executor: Executor): Promise<VettingReport & { cost: VettingCost | null }> {
  const { manifest, checks, runtime } = await staticVettingInThread(pkg);
  const structure = runtime?.structure;
  if (!runtime) return { ...report(pkg, checks, structure), cost: null };
  const staticOk = checks.every((c) => c.status !== 'fail');
  let moduleOk = false;
  if (staticOk) {
    try {
      const mc = moduleChecks(await executor.check(runtime.source));
      checks.push(...mc);
      moduleOk = mc.every((c) => c.status === 'pass');
    } catch (e) {
      checks.push(fail('module.evaluates', `evaluating the module failed with ${codeOf(e)}`));
    }
  }
  let cost: VettingCost | null = null;
  if (manifest && moduleOk && staticOk) {
    const dry = await dryRun(runtime.source, runtime.batchSource, runtime.compiled, manifest, executor);
    checks.push(...dry.checks);
    cost = dry.cost;
  } else checks.push({ id: 'dryrun.runs', status: 'fail', reason: 'not run: fix the failed checks first' });
  return { ...report(pkg, checks, structure), cost };
}
