import { describe, expect, it } from 'vitest';
import { scaleScore, scalingPlan, scoreSign } from '../../formats/scaling.js';
import { scalingSchema } from '../../formats/scaling.schema.js';

const L = { min: 300, max: 900, step: 10 };

describe('scaling to the lattice', () => {
  it('points to double the odds: offset at even odds, +pdo per doubling of good:bad', () => {
    const bad = scalingPlan('probability', scalingSchema.parse({ method: 'pdo', offset: 600, pdo: 50, predicts: 'bad' }));
    expect(scaleScore(0.5, bad, L)).toBe(600);
    expect(scaleScore(1 / 3, bad, L)).toBe(650); // good:bad = 2
    expect(scaleScore(1 / 5, bad, L)).toBe(700); // good:bad = 4
    expect(scaleScore(0.4, bad, L)).toBe(630); // 600 + 72.13 * ln 1.5 = 629.2
    expect(scaleScore(1e-12, bad, L)).toBe(900);
    expect(scaleScore(1, bad, L)).toBe(300);
    expect(scaleScore(0, bad, L)).toBe(900);
    expect(scaleScore(null, bad, L)).toBe(null);
    expect(scoreSign(bad)).toBe(-1);
    const margin = scalingPlan('margin', { method: 'pdo', offset: 600, pdo: 50, odds: 'good:bad', predicts: 'good' });
    expect(scaleScore(Math.LN2, margin, L)).toBe(650);
    expect(scoreSign(margin)).toBe(1);
  });

  it('identity rounds to the lattice and clamps', () => {
    const id = scalingPlan('points', { method: 'identity' });
    expect(scaleScore(634.9, id, L)).toBe(630);
    expect(scaleScore(635, id, L)).toBe(640);
    expect(scaleScore(1e9, id, L)).toBe(900);
    expect(scaleScore(-1e9, id, L)).toBe(300);
  });

  it('refuses a scaling that does not fit the output', () => {
    expect(() => scalingPlan('probability', { method: 'identity' })).toThrow(expect.objectContaining({ code: 'FORMAT_UNSUPPORTED' }));
    expect(() => scalingPlan('points', { method: 'pdo', offset: 600, pdo: 50, odds: 'good:bad', predicts: 'bad' })).toThrow(expect.objectContaining({ code: 'FORMAT_UNSUPPORTED' }));
    expect(scalingSchema.safeParse({ method: 'pdo', offset: 600, pdo: -1, predicts: 'bad' }).success).toBe(false);
    expect(scalingSchema.safeParse({ method: 'pdo', offset: 600, pdo: 50, predicts: 'bad', extra: 1 }).success).toBe(false);
  });
});
