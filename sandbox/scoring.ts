// From raw executor output to what may be used: the output contract of the manifest. A row
// whose output is off the lattice or names an undeclared reason, or that failed alone in a
// fresh context, gets the manifest's default output; the exact counts go to the ledger for
// the regulator, never to the requester. Then grade and reason codes in declared order.
import type { Manifest } from '../models/manifest.schema.js';
import { applyContract, gradeOf, reasonsOf, type ContractWithDefault } from '../policies/output-contract.js';
import type { ExecuteResult } from '../workers/client.js';

export interface SubjectScore {
  score: number;
  grade: string | null;
  reasons: string[];
}

/** Exact counts of replaced rows: for the ledger only. */
export interface Substituted {
  failed: number;
  offLattice: number;
  undeclared: number;
}

export function contractOf(m: Manifest): ContractWithDefault {
  return { ...m.output, default: m.output.default ?? { score: m.output.score.min, reasons: [] } };
}

/** Scores with the contract applied (every value on the lattice), and what was replaced. */
export function checkedScores(r: ExecuteResult, rows: number, contract: ContractWithDefault): { scores: Float64Array; reasons: Uint8Array; substituted: Substituted } {
  const failed = r.failed.reduce((n, f) => n + f, 0);
  const applied = applyContract(r.scores, r.reasons, rows, contract);
  return { scores: applied.scores, reasons: applied.reasons, substituted: { failed, offLattice: applied.offLattice - failed, undeclared: applied.undeclared } };
}

export function subjectScores(scores: Float64Array, reasons: Uint8Array, rows: number, contract: ContractWithDefault): SubjectScore[] {
  const out: SubjectScore[] = [];
  for (let i = 0; i < rows; i++) {
    const score = scores[i] as number;
    out.push({ score, grade: gradeOf(score, contract), reasons: reasonsOf(reasons, i, contract) });
  }
  return out;
}
