import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../core/canonical-json.js';

describe('RFC 8785 canonical JSON', () => {
  it('sorts keys by UTF-16 code units and drops whitespace (RFC 8785 §3.2.3)', () => {
    // The sorting example of RFC 8785 §3.2.3, by key.
    const input = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'];
    const expected = `{${order.map((k) => `${JSON.stringify(k)}:${JSON.stringify(input[k as keyof typeof input])}`).join(',')}}`;
    expect(canonicalize(input)).toBe(expected);
  });

  it('writes numbers as ECMAScript does (RFC 8785 §3.2.2.3)', () => {
    expect(canonicalize([333333333.33333329, 1e30, 4.5, 0.002, 1e-27, -0, 0])).toBe('[333333333.3333333,1e+30,4.5,0.002,1e-27,0,0]');
  });

  it('nests and escapes like the RFC example', () => {
    expect(canonicalize({ b: [1, { d: true, c: null }], a: 'x"\n' })).toBe('{"a":"x\\"\\n","b":[1,{"c":null,"d":true}]}');
  });

  it('refuses what has no canonical form', () => {
    expect(() => canonicalize({ a: NaN })).toThrow();
    expect(() => canonicalize({ a: Infinity })).toThrow();
    expect(() => canonicalize('\ud800')).toThrow();
    expect(() => canonicalize(new Date())).toThrow();
    expect(() => canonicalize(10n)).toThrow();
  });
});
