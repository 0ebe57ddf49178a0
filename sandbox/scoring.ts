// From raw executor output to what may be shown for a subject: the output contract first
// (an off-lattice score rejects the whole run), then grade and sorted reason codes.
import { AppError } from '../core/errors.js';
import { denied, type Decision } from '../policies/decision.js';
import { checkOutputs, gradeOf, reasonsOf, type Contract } from '../policies/output-contract.js';
import { SANDBOX_ERRORS } from '../workers/errors.js';
import type { ExecuteResult } from '../workers/client.js';

export interface SubjectScore {
  score: number;
  grade: string | null;
  reasons: string[];
}

export class OutputRejected extends AppError<'SANDBOX_OUTPUT_INVALID'> {
  constructor(readonly decisions: Decision[]) {
    super('SANDBOX_OUTPUT_INVALID', SANDBOX_ERRORS.SANDBOX_OUTPUT_INVALID);
  }
}

/** Throws OutputRejected (with the decisions) unless every output honours the contract. */
export function checkedScores(r: ExecuteResult, rows: number, contract: Contract): { decisions: Decision[]; subjects: SubjectScore[] } {
  const decisions = checkOutputs(r.scores, r.reasons, rows, contract);
  if (denied(decisions)) throw new OutputRejected(decisions);
  const subjects: SubjectScore[] = [];
  for (let i = 0; i < rows; i++) {
    const score = r.scores[i] as number;
    subjects.push({ score, grade: gradeOf(score, contract), reasons: reasonsOf(r.reasons, i, contract) });
  }
  return { decisions, subjects };
}
