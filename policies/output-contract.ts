// The output contract, applied by the host to what model code returned (attacker-
// controlled numbers). A row whose score is off the lattice or that names an undeclared
// reason is replaced, whole, by the contract's declared default output: nothing is rounded
// into compliance, and a bad row cannot steer the release (an aggregate then sees the
// default, a fixed public value). Rejecting the whole run instead would let one merchant's
// row decide whether anything is released at all, which is a bit about that merchant.
// Reason codes are reduced to a set of declared codes in the platform's order, so their
// order or repetition carries nothing.
import type { Decision } from './decision.js';

export interface Contract {
  score: { min: number; max: number; step: number };
  reasons: readonly string[];
  grades?: readonly { grade: string; min: number }[] | undefined;
}

/** Reason slots per merchant: index 0 empty, i + 1 the i-th declared code, 255 undeclared. */
export const REASON_SLOTS = 4;
export const REASON_EMPTY = 0;
export const REASON_INVALID = 255;
/** @deprecated The executor's former frame, used by `checkOutputs` until the run pipeline moves to applyContract. */
const LEGACY_REASON_SLOTS = 3;

/** A contract with the output that replaces any row breaking it (declared in the manifest). */
export type ContractWithDefault = Contract & { default: { score: number; reasons: readonly string[] } };

export interface AppliedContract {
  scores: Float64Array;
  reasons: Uint8Array;
  /**
   * Exact counts of replaced rows, for the regulator's ledger ONLY: they are functions of
   * individual rows, so they must never reach the requester or any release.
   */
  offLattice: number;
  undeclared: number;
}

/**
 * Every row whose score is off the lattice (NaN, infinite, not on a step, out of range) or
 * whose reason slots hold an undeclared index (255, or above the number of declared codes)
 * gets the declared default output instead: its score and its reasons. Rows missing from
 * short arrays count as off-lattice and get the default too. The default itself must honour
 * the contract (a vetting-time error otherwise).
 */
export function applyContract(scores: Float64Array, reasons: Uint8Array, rows: number, contract: ContractWithDefault, slots = REASON_SLOTS): AppliedContract {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(slots) || slots < 1) throw new RangeError('applyContract: bad shape');
  const def = contract.default;
  if (!onLattice(def.score, contract.score)) throw new RangeError('applyContract: the default score is off the lattice');
  if (def.reasons.length > slots) throw new RangeError('applyContract: the default has more reasons than slots');
  const defReasons = def.reasons.map((r) => {
    const i = contract.reasons.indexOf(r);
    if (i < 0) throw new RangeError('applyContract: the default names an undeclared reason');
    return i + 1;
  });
  const outScores = new Float64Array(rows);
  const outReasons = new Uint8Array(rows * slots);
  let offLattice = 0;
  let undeclared = 0;
  for (let i = 0; i < rows; i++) {
    const s = i < scores.length ? (scores[i] as number) : NaN;
    const scoreOk = onLattice(s, contract.score);
    let reasonsOk = (i + 1) * slots <= reasons.length;
    for (let t = 0; t < slots && reasonsOk; t++) {
      const r = reasons[i * slots + t] as number;
      if (r === REASON_INVALID || r > contract.reasons.length) reasonsOk = false;
    }
    if (!scoreOk) offLattice++;
    else if (!reasonsOk) undeclared++;
    if (scoreOk && reasonsOk) {
      outScores[i] = s;
      outReasons.set(reasons.subarray(i * slots, (i + 1) * slots), i * slots);
    } else {
      outScores[i] = def.score;
      defReasons.forEach((r, t) => (outReasons[i * slots + t] = r));
    }
  }
  return { scores: outScores, reasons: outReasons, offLattice, undeclared };
}

export function onLattice(s: number, c: Contract['score']): boolean {
  return Number.isInteger(s) && s >= c.min && s <= c.max && (s - c.min) % c.step === 0;
}

/**
 * @deprecated Whole-run rejection on one bad value, on the former 3-slot frame; kept so the
 * run pipeline compiles until it calls applyContract.
 */
export function checkOutputs(scores: Float64Array, reasons: Uint8Array, rows: number, c: Contract, slots = LEGACY_REASON_SLOTS): Decision[] {
  const REASON_SLOTS = slots;
  const cardinality = scores.length === rows && reasons.length === rows * REASON_SLOTS;
  let offLattice = 0;
  let badReasons = 0;
  if (cardinality) {
    for (let i = 0; i < rows; i++) if (!onLattice(scores[i] as number, c.score)) offLattice++;
    for (let i = 0; i < reasons.length; i++) {
      const r = reasons[i] as number;
      if (r === REASON_INVALID || r > c.reasons.length) badReasons++;
    }
  }
  return [
    { rule: 'output:cardinality', status: cardinality ? 'PASS' : 'FAIL', action: cardinality ? 'accept' : 'reject-run', params: { expectedRows: rows } },
    {
      rule: 'output:lattice',
      status: cardinality && offLattice === 0 ? 'PASS' : 'FAIL',
      action: cardinality && offLattice === 0 ? 'accept' : 'reject-run',
      params: { min: c.score.min, max: c.score.max, step: c.score.step, offLattice },
    },
    {
      rule: 'output:reasons',
      status: cardinality && badReasons === 0 ? 'PASS' : 'FAIL',
      action: cardinality && badReasons === 0 ? 'sort-dedupe' : 'reject-run',
      params: { declared: c.reasons.length, perSubject: REASON_SLOTS, undeclared: badReasons },
    },
  ];
}

export function gradeOf(score: number, c: Contract): string | null {
  if (!c.grades) return null;
  for (const g of c.grades) if (score >= g.min) return g.grade;
  return null;
}

/** The reason codes of row i, deduplicated and in declared order. */
export function reasonsOf(reasons: Uint8Array, i: number, c: Contract, slots = REASON_SLOTS): string[] {
  const idx = new Set<number>();
  for (let t = 0; t < slots; t++) {
    const r = reasons[i * slots + t] as number;
    if (r > 0 && r <= c.reasons.length) idx.add(r);
  }
  return [...idx].sort((a, b) => a - b).map((r) => c.reasons[r - 1] as string);
}
