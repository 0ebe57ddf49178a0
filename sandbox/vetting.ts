// Vetting a model package: the static checks of models/, what an isolate found when it
// compiled the module, and a dry run on dummy data in the real executor: two runs must
// agree (determinism), every output must honour the contract, all-missing rows must not
// make the model fail, and scoring a subject alone must give what it gives in a cohort
// (a model that carries one merchant's data into another's score fails here).
import { catalog } from '../datasets/catalog.js';
import { dummyMatrix } from '../datasets/dummy.js';
import { isAppError } from '../core/errors.js';
import type { Manifest } from '../models/manifest.schema.js';
import type { ModelPackage } from '../models/package.js';
import { moduleChecks, report, staticVetting, type Check, type VettingReport } from '../models/vetting.js';
import { checkOutputs } from '../policies/output-contract.js';
import { denied } from '../policies/decision.js';
import type { Executor, ExecuteResult } from '../workers/client.js';

/** Dummy merchants of the dry run, and its seed (fixed: vetting is reproducible). */
export const DRY_RUN_SUBJECTS = 200;
const DRY_RUN_SEED = 20240601;
const STATELESS_SUBJECTS = 24;

const pass = (id: string, reason: string): Check => ({ id, status: 'pass', reason });
const fail = (id: string, reason: string): Check => ({ id, status: 'fail', reason });

const codeOf = (e: unknown): string => (isAppError(e) ? e.code : 'INTERNAL_ERROR');

function same(a: ExecuteResult, b: ExecuteResult, rows = a.scores.length): boolean {
  for (let i = 0; i < rows; i++) if (!Object.is(a.scores[i], b.scores[i])) return false;
  for (let i = 0; i < rows * 3; i++) if (a.reasons[i] !== b.reasons[i]) return false;
  return true;
}

async function dryRun(pkg: ModelPackage, m: Manifest, executor: Executor): Promise<Check[]> {
  const contract = m.output;
  const { data } = dummyMatrix(m.inputs, DRY_RUN_SUBJECTS, DRY_RUN_SEED);
  const base = { source: pkg.source, fields: m.inputs, reasons: m.output.reasons };
  let first: ExecuteResult;
  try {
    first = await executor.execute({ ...base, mode: 'cohort', data });
  } catch (e) {
    return [fail('dryrun.runs', `failed on dummy data with ${codeOf(e)}`)];
  }
  const checks = [pass('dryrun.runs', `scored ${DRY_RUN_SUBJECTS} dummy merchants`)];
  try {
    const second = await executor.execute({ ...base, mode: 'cohort', data });
    checks.push(same(first, second) ? pass('dryrun.deterministic', 'two runs gave identical outputs') : fail('dryrun.deterministic', 'two runs on the same rows differ'));
  } catch (e) {
    checks.push(fail('dryrun.deterministic', `the second run failed with ${codeOf(e)}`));
  }
  const decisions = checkOutputs(first.scores, first.reasons, DRY_RUN_SUBJECTS, contract);
  const bad = decisions.filter((d) => d.status === 'FAIL').map((d) => d.rule);
  checks.push(denied(decisions) ? fail('dryrun.contract', `outputs break ${bad.join(', ')}`) : pass('dryrun.contract', 'every score on the lattice, every reason declared'));
  try {
    const missing = new Float64Array(8 * m.inputs.length).fill(NaN);
    const r = await executor.execute({ ...base, mode: 'cohort', data: missing });
    const ok = !denied(checkOutputs(r.scores, r.reasons, 8, contract));
    checks.push(ok ? pass('dryrun.missing', 'all-missing rows score within the contract') : fail('dryrun.missing', 'all-missing rows give outputs outside the contract'));
  } catch (e) {
    checks.push(fail('dryrun.missing', `all-missing rows made the model fail with ${codeOf(e)}`));
  }
  try {
    const rows = data.slice(0, STATELESS_SUBJECTS * m.inputs.length);
    const alone = await executor.execute({ ...base, mode: 'subjects', data: rows });
    checks.push(
      same(first, alone, STATELESS_SUBJECTS)
        ? pass('dryrun.stateless', 'each merchant scores the same alone as in a cohort')
        : fail('dryrun.stateless', 'scores depend on other merchants of the cohort'),
    );
  } catch (e) {
    checks.push(fail('dryrun.stateless', `scoring merchants one by one failed with ${codeOf(e)}`));
  }
  return checks;
}

export async function vetPackage(pkg: ModelPackage, executor: Executor): Promise<VettingReport> {
  const { manifest, checks } = staticVetting(pkg, catalog());
  const sizeOk = checks.find((c) => c.id === 'size.source')?.status === 'pass';
  if (!sizeOk) return report(pkg, checks);
  let moduleOk = false;
  try {
    const mc = moduleChecks(await executor.check(pkg.source));
    checks.push(...mc);
    moduleOk = mc.every((c) => c.status === 'pass');
  } catch (e) {
    checks.push(fail('module.evaluates', `compiling the module failed with ${codeOf(e)}`));
  }
  const staticOk = checks.every((c) => c.status !== 'fail');
  if (manifest && moduleOk && staticOk) checks.push(...(await dryRun(pkg, manifest, executor)));
  else checks.push({ id: 'dryrun.runs', status: 'fail', reason: 'not run: fix the failed checks first' });
  return report(pkg, checks);
}
