import fs from 'node:fs';
import { isAppError } from '../../core/errors.js';
import { dummyMatrix } from '../../datasets/dummy.js';
import type { ContractWithDefault } from '../../policies/output-contract.js';
import { checkedScores, subjectScores, type SubjectScore, type Substituted } from '../../sandbox/scoring.js';
import type { Executor, Mode } from '../../workers/client.js';

export const FIELDS = ['business_age_months', 'tax_sales_m24', 'tax_credit_rating'];
export const CONTRACT: ContractWithDefault = { score: { min: 300, max: 900, step: 10 }, reasons: ['R01_A', 'R02_B', 'R03_C', 'R04_D'], default: { score: 300, reasons: [] } };

export const NORMAL = `export function score(row) {
  const age = row.business_age_months === null ? 0 : row.business_age_months;
  return { score: 300 + 10 * Math.min(60, Math.floor(age / 6)), reasons: age < 24 ? ['R01_A'] : [] };
}`;

export function fixture(name: string): string {
  return fs.readFileSync(new URL(`../fixtures/hostile/${name}.js`, import.meta.url), 'utf8');
}

/** ok: the run was scored, with the rows the host replaced by the default output counted. */
export type Outcome = { ok: true; subjects: SubjectScore[]; substituted: Substituted } | { ok: false; code: string; error: unknown };

export async function runSource(executor: Executor, source: string, mode: Mode = 'cohort', rows = 40, data = dummyMatrix(FIELDS, rows, 11).data, fields = FIELDS): Promise<Outcome> {
  try {
    const r = await executor.execute({ mode, source, fields, reasons: CONTRACT.reasons, data, limits: { memoryMb: 128, callMs: 1000 } });
    const c = checkedScores(r, rows, CONTRACT);
    return { ok: true, subjects: subjectScores(c.scores, c.reasons, rows, CONTRACT), substituted: c.substituted };
  } catch (error) {
    if (!isAppError(error)) throw error;
    return { ok: false, code: error.code, error };
  }
}

/** The normal model still scores correctly: age in months / 6, on the lattice. */
export async function expectServesNormalRun(executor: Executor): Promise<boolean> {
  const rows = 40;
  const { data } = dummyMatrix(FIELDS, rows, 11);
  const r = await runSource(executor, NORMAL, 'cohort', rows);
  if (!r.ok) return false;
  return r.subjects.every((s, i) => {
    const age = data[i * FIELDS.length] as number;
    const expected = 300 + 10 * Math.min(60, Math.floor((Number.isNaN(age) ? 0 : age) / 6));
    return s.score === expected;
  });
}
