// The output contract, applied by the host to what model code returned (attacker-
// controlled numbers). An off-lattice score rejects the whole run as a suspected covert
// channel: nothing is rounded into compliance. Reason codes are reduced to a set of
// declared codes in the platform's order, so their order or repetition carries nothing.
import type { Decision } from './decision.js';

export interface Contract {
  score: { min: number; max: number; step: number };
  reasons: readonly string[];
  grades?: readonly { grade: string; min: number }[] | undefined;
}

const REASON_SLOTS = 3;
const REASON_INVALID = 255;

export function onLattice(s: number, c: Contract['score']): boolean {
  return Number.isInteger(s) && s >= c.min && s <= c.max && (s - c.min) % c.step === 0;
}

/** Checks every score and reason slot; one bad value fails the rule for the run. */
export function checkOutputs(scores: Float64Array, reasons: Uint8Array, rows: number, c: Contract): Decision[] {
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
export function reasonsOf(reasons: Uint8Array, i: number, c: Contract): string[] {
  const idx = new Set<number>();
  for (let t = 0; t < REASON_SLOTS; t++) {
    const r = reasons[i * REASON_SLOTS + t] as number;
    if (r > 0 && r <= c.reasons.length) idx.add(r);
  }
  return [...idx].sort((a, b) => a - b).map((r) => c.reasons[r - 1] as string);
}
