import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidUscc, orgCodeCheckChar, usccCheckChar, usccFor, usccMixer } from '../../datasets/uscc.js';

describe('unified social credit codes (GB 32100)', () => {
  it('accepts a published valid code and rejects it with any single character changed', () => {
    const good = '91350100M000100Y43';
    expect(isValidUscc(good)).toBe(true);
    const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
    for (let i = 0; i < 18; i++) {
      for (const ch of alphabet) {
        if (ch === good[i]) continue;
        const bad = good.slice(0, i) + ch + good.slice(i + 1);
        expect(isValidUscc(bad), bad).toBe(false);
      }
    }
  });

  it('rejects wrong lengths and characters outside the alphabet', () => {
    expect(isValidUscc('91350100M000100Y4')).toBe(false);
    expect(isValidUscc('91350100M000100Y43X')).toBe(false);
    expect(isValidUscc('91350100M000100I43')).toBe(false);
    expect(isValidUscc('91350100m000100y43')).toBe(false);
  });

  it('computes the GB 11714 organisation check character', () => {
    // D2143569-X is the standard's worked example.
    expect(orgCodeCheckChar('D2143569')).toBe('X');
  });

  it('generates valid, distinct codes, and vault and dummy prefixes never meet', () => {
    const { mult, add } = usccMixer(12345);
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const a = usccFor(i, 'MA', i % 2 ? '1' : '2', mult, add);
      expect(isValidUscc(a)).toBe(true);
      seen.add(a);
    }
    expect(seen.size).toBe(20_000);
    fc.assert(
      fc.property(fc.nat(887_503_680), fc.nat(887_503_680), fc.nat(2 ** 31), (i, j, seed) => {
        const m = usccMixer(seed);
        const a = usccFor(i, 'MA', '1', m.mult, m.add);
        const b = usccFor(j, 'MD', '1', m.mult, m.add);
        return a !== b && isValidUscc(a) && isValidUscc(b) && usccCheckChar(a.slice(0, 17)) === a[17];
      }),
    );
  });
});
