// The output contract with a declared default: a row that breaks the contract is replaced,
// whole, by the default output; the exact counts are for the regulator's ledger only.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyContract, gradeOf, onLattice, REASON_INVALID, REASON_SLOTS, reasonsOf, type ContractWithDefault } from '../../policies/output-contract.js';

const contract: ContractWithDefault = {
  score: { min: 300, max: 900, step: 10 },
  reasons: ['R01', 'R02', 'R03'],
  grades: [{ grade: 'A', min: 760 }, { grade: 'B', min: 600 }, { grade: 'C', min: 300 }],
  default: { score: 600, reasons: ['R03', 'R01'] },
};

describe('applyContract', () => {
  it('replaces off-lattice scores and undeclared reasons by the default, and counts them', () => {
    const scores = Float64Array.of(700, NaN, 305, 950, Infinity, 290, 800, 640, 610.5);
    const reasons = new Uint8Array(scores.length * REASON_SLOTS);
    reasons.set([1, 2, 0, 0], 0);
    reasons.set([3, 0, 0, 0], 6 * 4);
    reasons.set([REASON_INVALID, 0, 0, 0], 7 * 4); // on the lattice, undeclared reason
    reasons.set([4, 0, 0, 0], 8 * 4); // both broken: counted once, as off-lattice
    const out = applyContract(scores, reasons, scores.length, contract);
    expect([...out.scores]).toEqual([700, 600, 600, 600, 600, 600, 800, 600, 600]);
    expect([...out.reasons.subarray(0, 4)]).toEqual([1, 2, 0, 0]);
    expect([...out.reasons.subarray(4, 8)]).toEqual([3, 1, 0, 0]);
    expect([...out.reasons.subarray(24, 28)]).toEqual([3, 0, 0, 0]);
    expect([...out.reasons.subarray(28, 32)]).toEqual([3, 1, 0, 0]);
    expect(out.offLattice).toBe(6);
    expect(out.undeclared).toBe(1);
    expect(reasonsOf(out.reasons, 1, contract)).toEqual(['R01', 'R03']);
  });

  it('gives short arrays the default and rejects a default that breaks the contract', () => {
    const out = applyContract(Float64Array.of(700), new Uint8Array(4), 3, contract);
    expect([...out.scores]).toEqual([700, 600, 600]);
    expect(out.offLattice).toBe(2);
    expect(() => applyContract(new Float64Array(1), new Uint8Array(4), 1, { ...contract, default: { score: 605, reasons: [] } })).toThrow(RangeError);
    expect(() => applyContract(new Float64Array(1), new Uint8Array(4), 1, { ...contract, default: { score: 600, reasons: ['R09'] } })).toThrow(RangeError);
  });

  it('always returns on-lattice scores and declared reasons, whatever the model wrote', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double(), fc.uint8Array({ minLength: 4, maxLength: 4 })), { minLength: 1, maxLength: 60 }), (rows) => {
        const scores = Float64Array.from(rows, (r) => r[0]);
        const reasons = new Uint8Array(rows.length * 4);
        rows.forEach((r, i) => reasons.set(r[1], i * 4));
        const out = applyContract(scores, reasons, rows.length, contract);
        expect([...out.scores].every((s) => onLattice(s, contract.score))).toBe(true);
        expect([...out.reasons].every((r) => r <= contract.reasons.length)).toBe(true);
        const bad = rows.filter((r) => !onLattice(r[0], contract.score) || [...r[1]].some((x) => x === 255 || x > 3)).length;
        expect(out.offLattice + out.undeclared).toBe(bad);
      }),
    );
  });

  it('keeps grades and sorted, deduplicated reasons', () => {
    expect(gradeOf(770, contract)).toBe('A');
    expect(gradeOf(600, contract)).toBe('B');
    expect(reasonsOf(Uint8Array.of(3, 1, 3, 0), 0, contract)).toEqual(['R01', 'R03']);
  });
});
